using FhirCoordGateway.Core.Security;

namespace FhirCoordGateway.Core.Transactions;

/// <summary>
/// The context of a batch or transaction request: the base URL, the authorization of each entry (the
/// API passes its single authorization point) and the <c>Prefer: return=</c> value.
/// </summary>
public sealed record BundleRequest(string BaseUrl, Func<FhirRequestContext, CancellationToken, ValueTask> Authorize, string? PreferReturn = null)
{
    public bool ReturnRepresentation => PreferReturn == "representation";

    public bool ReturnOutcome => PreferReturn == "OperationOutcome";
}
