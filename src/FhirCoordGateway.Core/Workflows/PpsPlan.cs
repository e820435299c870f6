using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// What makes a CarePlan a PPS (profile <c>fhircoord-careplan-pps</c>, profiles/README.md) and where its
/// workflow data lives: the category <c>fhircoord-careplan-category#pps</c>, the revision-date extension and
/// the médecin traitant's validation extension (validator + dateTime). The one place that knows those urls.
/// </summary>
public static class PpsPlan
{
    public const string CategorySystem = "https://fhircoord.example/fhir/CodeSystem/fhircoord-careplan-category";
    public const string MtValidationUrl = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-pps-mt-validation";
    public const string RevisionDateUrl = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-pps-revision-date";

    /// <summary>The search restriction for PPS plans (core CarePlan <c>category</c> parameter).</summary>
    public const string CategoryToken = CategorySystem + "|pps";

    public static bool IsPps(Resource? resource) =>
        resource is CarePlan plan && plan.Category.Any(c => c.Coding.Any(x => x.System == CategorySystem && x.Code == "pps"));

    public static Extension? MtValidation(CarePlan plan) => plan.GetExtension(MtValidationUrl);

    /// <summary>Who validated the current content, or null when the plan carries no validation.</summary>
    public static string? Validator(CarePlan plan) =>
        (MtValidation(plan)?.GetExtensionValue<ResourceReference>("validator"))?.Reference;

    /// <summary>Replaces the validation with (<paramref name="validator"/>, <paramref name="at"/>).</summary>
    public static void SetMtValidation(CarePlan plan, string validator, DateTimeOffset at)
    {
        plan.RemoveExtension(MtValidationUrl);
        var validation = new Extension { Url = MtValidationUrl };
        validation.Extension.Add(new Extension("validator", new ResourceReference(validator)));
        validation.Extension.Add(new Extension("dateTime", new FhirDateTime(at)));
        plan.Extension.Add(validation);
    }

    /// <summary>True when both plans carry the same validation (or neither does).</summary>
    public static bool SameMtValidation(CarePlan a, CarePlan b) =>
        (MtValidation(a), MtValidation(b)) switch
        {
            (null, null) => true,
            ({ } x, { } y) => x.IsExactly(y),
            _ => false,
        };

    /// <summary>The revision date (a FHIR date, possibly partial), or null.</summary>
    public static string? RevisionDate(CarePlan plan) => (plan.GetExtensionValue<Date>(RevisionDateUrl))?.Value;
}
