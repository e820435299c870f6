using System.Security.Cryptography;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Transactions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Documents;

/// <summary>
/// MHD Document Recipient for ITI-65 Provide Document Bundle, as PDSm profiles it: a transaction with one
/// SubmissionSet List, DocumentReferences and the Binaries they point at. The bundle is processed as any
/// transaction (one unit of work, transaction-response with one entry per request entry, in order,
/// <c>201</c> and <c>location</c>; any failure answers one OperationOutcome), plus the MHD rules:
/// <list type="bullet">
/// <item>exactly one SubmissionSet, at least one DocumentReference; each attachment url names a Binary of
/// the bundle whose size and SHA-1 hash agree with the attachment (422 otherwise);</item>
/// <item>a Patient entry carrying an INS is matched to the stored Patient with that INS (no duplicate),
/// refused when its traits disagree (422), created otherwise;</item>
/// <item>a DocumentReference that <c>replaces</c> another supersedes it in the same unit of work.</item>
/// </list>
/// https://profiles.ihe.net/ITI/MHD/ITI-65.html, DOMAIN.md §3.4
/// </summary>
public sealed class MhdDocumentRecipient(BundleHandler bundles, InsPatientMatcher patients, DocumentReplacement replacement)
{
    public const string SubmissionSetCode = "submissionset";

    /// <summary>True for a transaction carrying an MHD SubmissionSet List (by code or by profile).</summary>
    public static bool IsProvideDocumentBundle(Bundle bundle) =>
        bundle.Type == Bundle.BundleType.Transaction && bundle.Entry.Any(e => IsSubmissionSet(e.Resource));

    public async Task<Bundle> ProvideAsync(Bundle bundle, BundleRequest request, CancellationToken ct)
    {
        CheckStructure(bundle);
        return await bundles.TransactionAsync(bundle, request, new Participant(patients, replacement), ct);
    }

    private static bool IsSubmissionSet(Resource? resource) => resource is List list
        && (list.Code?.Coding.Any(c => c.Code == SubmissionSetCode) == true
            || list.Meta?.Profile.Any(p => p?.Contains("SubmissionSet", StringComparison.OrdinalIgnoreCase) == true) == true);

    private static void CheckStructure(Bundle bundle)
    {
        var submissionSets = bundle.Entry.Count(e => IsSubmissionSet(e.Resource));
        if (submissionSets != 1)
        {
            throw Unprocessable($"An ITI-65 Provide Document Bundle has exactly one SubmissionSet List, not {submissionSets}.", "Bundle.entry");
        }

        var documents = bundle.Entry.Select((e, i) => (e.Resource as DocumentReference, i)).Where(x => x.Item1 is not null).ToList();
        if (documents.Count == 0)
        {
            throw Unprocessable("An ITI-65 Provide Document Bundle has at least one DocumentReference.", "Bundle.entry");
        }

        var binaries = bundle.Entry.Where(e => e.FullUrl is not null && e.Resource is Binary).ToDictionary(e => e.FullUrl!, e => (Binary)e.Resource!, StringComparer.Ordinal);
        foreach (var (document, i) in documents)
        {
            for (var c = 0; c < document!.Content.Count; c++)
            {
                var attachment = document.Content[c].Attachment;
                var at = $"Bundle.entry[{i}].resource.content[{c}].attachment";
                if (attachment?.Url is not { } url || !binaries.TryGetValue(url, out var binary))
                {
                    throw Unprocessable("The attachment url must name a Binary entry of the bundle (XDSMissingDocument).", at + ".url");
                }

                var data = binary.Data ?? [];
                if (SizeOf(attachment) is { } size && size != data.Length)
                {
                    throw Unprocessable($"The attachment size {size} differs from the Binary's {data.Length} bytes.", at + ".size");
                }

                if (attachment.Hash is { } hash && !hash.AsSpan().SequenceEqual(SHA1.HashData(data)))
                {
                    throw Unprocessable("The attachment hash is not the SHA-1 of the Binary's data.", at + ".hash");
                }
            }
        }
    }

    /// <summary>
    /// Attachment.size read generically: in SDK 6.8 the R4 parser stores an UnsignedInt where the typed
    /// <c>Size</c> property expects an Integer64 (R5), so that getter throws.
    /// </summary>
    private static long? SizeOf(Attachment attachment) =>
        attachment.TryGetValue("size", out var value) && value is PrimitiveType p
        && long.TryParse(p.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    private static FhirOutcomeException Unprocessable(string message, string expression) =>
        FhirOutcomeException.Of(FailureKind.Unprocessable, message, expression);

    /// <summary>One per request: INS matching of Patient entries, and supersession of replaced documents.</summary>
    private sealed class Participant(InsPatientMatcher patients, DocumentReplacement replacement) : ITransactionParticipant
    {
        public async Task<CreateTarget?> ResolveCreateAsync(IResourceUnitOfWork uow, TransactionEntry entry, CancellationToken ct)
        {
            if (entry.Resource is not Patient patient || InsPatientMatcher.Ins(patient) is not { } ins)
            {
                return null;
            }

            var existing = await patients.FindAsync(uow, patient, ins, ct);
            return existing is null ? null : new CreateTarget(existing.Id, existing);
        }

        public async Task AfterWritesAsync(IResourceUnitOfWork uow, TransactionPlan plan, CancellationToken ct)
        {
            foreach (var entry in plan.Entries.Where(e => e.Method == Bundle.HTTPVerb.POST && e.Resource is DocumentReference))
            {
                foreach (var id in DocumentReplacement.ReplacedIds((DocumentReference)entry.Resource!))
                {
                    try
                    {
                        plan.Claim(entry, $"DocumentReference/{id}");
                        await replacement.SupersedeAsync(uow, id, $"{entry.Location}.resource.relatesTo", ct);
                    }
                    catch (FhirOutcomeException e)
                    {
                        throw BundleHandler.Locate(entry, e);
                    }
                }
            }
        }
    }
}
