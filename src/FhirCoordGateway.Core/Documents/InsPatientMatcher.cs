using System.Globalization;
using System.Text;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Documents;

/// <summary>
/// Finds the stored Patient of a submitted INS (Identité Nationale de Santé: identifier system + value,
/// FR Core <c>fr-core-patient-ins</c>) and checks that the submitted identity traits agree with it.
/// An INS whose traits disagree is refused, never merged: two people must not share one record.
/// </summary>
public sealed class InsPatientMatcher(SearchQueryParser parser)
{
    /// <summary>INS-NIR, INS-NIA, INS-NIR-TEST and INS-NIR-DEMO (DOMAIN.md §3.1).</summary>
    public static readonly IReadOnlySet<string> InsSystems = new HashSet<string>(StringComparer.Ordinal)
    {
        "urn:oid:1.2.250.1.213.1.4.8", "urn:oid:1.2.250.1.213.1.4.9", "urn:oid:1.2.250.1.213.1.4.10", "urn:oid:1.2.250.1.213.1.4.11",
    };

    /// <summary>The submitted INS: the first INS identifier with a value that is not marked <c>old</c>.</summary>
    public static Identifier? Ins(Patient patient) => patient.Identifier.FirstOrDefault(i =>
        i.System is { } s && InsSystems.Contains(s) && !string.IsNullOrWhiteSpace(i.Value) && i.Use != Identifier.IdentifierUse.Old);

    /// <summary>
    /// The stored Patient with this INS, or null when there is none. 422 when its traits (birth family
    /// name, birth date, gender) disagree with <paramref name="submitted"/>; 412 when several share it.
    /// Runs under a lock on the INS, so two submissions of a new INS create one Patient.
    /// </summary>
    public async Task<StoredResource?> FindAsync(IResourceUnitOfWork uow, Patient submitted, Identifier ins, CancellationToken ct)
    {
        var query = parser.Parse("Patient", [new("identifier", $"{ins.System}|{ins.Value!.Replace("\\", "\\\\").Replace("|", "\\|").Replace(",", "\\,")}")], strict: true);
        var match = await ConditionalMatch.FindSingleAsync(uow, query, "INS match", ct);
        if (match is null)
        {
            return null;
        }

        var stored = (Patient)ResourceJson.Parse(match.Json!);
        var disagreeing = new List<string>();
        if (Normalize(Family(stored)) != Normalize(Family(submitted)))
        {
            disagreeing.Add("Patient.name");
        }

        if (stored.BirthDate != submitted.BirthDate)
        {
            disagreeing.Add("Patient.birthDate");
        }

        if (stored.Gender != submitted.Gender)
        {
            disagreeing.Add("Patient.gender");
        }

        if (disagreeing.Count > 0)
        {
            var outcome = new OperationOutcome();
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = OperationOutcome.IssueType.BusinessRule,
                Diagnostics = $"The INS {ins.System}|… belongs to Patient/{match.Id}, whose identity traits differ in: "
                    + string.Join(", ", disagreeing.Select(d => d["Patient.".Length..] switch { "name" => "birth family name", "birthDate" => "birth date", _ => "gender" }))
                    + ". The submission is refused rather than merged; check the identity (INSi) and resubmit.",
                Expression = disagreeing,
            });
            throw new FhirOutcomeException(FailureKind.Unprocessable, outcome);
        }

        return match;
    }

    /// <summary>The birth family name: the official name's family, else the first name's.</summary>
    private static string? Family(Patient patient) =>
        (patient.Name.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? patient.Name.FirstOrDefault())?.Family;

    /// <summary>Case, accents, spaces and hyphens do not make two names differ ("Lefèvre-Dupont" = "LEFEVRE DUPONT").</summary>
    private static string Normalize(string? name)
    {
        var decomposed = (name ?? string.Empty).Normalize(NormalizationForm.FormD);
        var kept = decomposed.Where(c => CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark && char.IsLetter(c));
        return new string(kept.ToArray()).ToUpperInvariant();
    }
}
