using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>
/// A topic the gateway publishes (Subscriptions R5 Backport IG): in R4 there is no SubscriptionTopic resource,
/// so topics are defined here, listed in the CapabilityStatement and named by canonical in <c>Subscription.criteria</c>.
/// <see cref="Triggers"/> decides from the committed change and the version before it, as R5's
/// <c>resourceTrigger.queryCriteria</c> (previous/current) would.
/// https://hl7.org/fhir/uv/subscriptions-backport/STU1.1/topics.html
/// </summary>
/// <param name="ResourceType">The focus type; <c>backport-filter-criteria</c> are searches on this type.</param>
public sealed record SubscriptionTopic(
    string Canonical,
    string Title,
    string ResourceType,
    Func<ChangeOperation, Resource?, Resource?, bool> Triggers)
{
    /// <summary>True when the previous version is needed to decide (e.g. "status changed").</summary>
    public bool NeedsPrevious { get; init; }
}

/// <summary>The topics of the coordination workflows (issue 7). Workflows publish on them just by writing resources.</summary>
public static class SubscriptionTopics
{
    public const string Base = "https://fhircoord.example/fhir/SubscriptionTopic/";
    public const string PpsCategorySystem = "https://fhircoord.example/fhir/CodeSystem/fhircoord-careplan-category";
    public const string PpsProfile = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-careplan-pps";

    /// <summary>A CarePlan that is a PPS (category pps, or claims the PPS profile) is created or revised.</summary>
    public static readonly SubscriptionTopic PpsCarePlan = new(
        Base + "pps-careplan", "PPS (CarePlan) created or revised", "CarePlan",
        (operation, current, _) => operation != ChangeOperation.Delete && current is CarePlan plan && IsPps(plan));

    /// <summary>A referral (ServiceRequest) is created or its status changes.</summary>
    public static readonly SubscriptionTopic ReferralStatus = new(
        Base + "referral-status", "Referral (ServiceRequest) status changed", "ServiceRequest",
        (operation, current, previous) => operation switch
        {
            ChangeOperation.Create => current is ServiceRequest,
            ChangeOperation.Update => current is ServiceRequest now && (previous as ServiceRequest)?.Status != now.Status,
            _ => false,
        })
    { NeedsPrevious = true };

    /// <summary>A DocumentReference is created: a document is available for its patient.</summary>
    public static readonly SubscriptionTopic DocumentAvailable = new(
        Base + "document-available", "Document available for patient", "DocumentReference",
        (operation, current, _) => operation == ChangeOperation.Create && current is DocumentReference);

    public static readonly IReadOnlyList<SubscriptionTopic> All = [PpsCarePlan, ReferralStatus, DocumentAvailable];

    public static SubscriptionTopic? Find(string? canonical) =>
        canonical is null ? null : All.FirstOrDefault(t => t.Canonical == canonical.Split('|')[0]);

    private static bool IsPps(CarePlan plan) =>
        plan.Category.Any(c => c.Coding.Any(x => x.System == PpsCategorySystem && x.Code == "pps"))
        || plan.Meta?.Profile?.Any(p => p is not null && p.Split('|')[0] == PpsProfile) == true;
}
