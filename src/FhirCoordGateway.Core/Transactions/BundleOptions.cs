namespace FhirCoordGateway.Core.Transactions;

/// <summary>Limits of batch and transaction processing (configuration section <c>Fhir:Bundles</c>).</summary>
public sealed class BundleOptions
{
    public const string Section = "Fhir:Bundles";

    /// <summary>Most entries a batch or transaction may carry; more answer 413 naming the limit.</summary>
    public int MaxEntries { get; set; } = 1000;

    /// <summary>Most resources a search entry of a bundle returns.</summary>
    public int MaxSearchResults { get; set; } = 100;
}
