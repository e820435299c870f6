using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>
/// The HTML of a PPS: identity, status and dates, MT validation, problems, goals, actions with who does them and
/// when, care team, notes. Every value is HTML-encoded: the resources are data from many writers.
/// </summary>
internal static class PpsHtml
{
    private static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr-FR");

    // Markup characters are encoded; accented letters stay as they are (WebUtility would turn "é" into "&#233;").
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string Encode(string? text) => Encoder.Encode(text ?? "");

    public static string Render(PpsRenderRequest request, ReferenceNames names, PpsValidation? validation, string title, string version)
    {
        var plan = request.CarePlan;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title></head><body>\n");
        html.Append("<h1>").Append(Encode(plan.Title ?? "Plan personnalisé de santé")).Append("</h1>\n");

        var patient = request.Patient;
        var ins = Core.Documents.InsPatientMatcher.Ins(patient);
        html.Append("<h2>Patient</h2>\n<dl>");
        Item(html, "Nom", names.Patient);
        Item(html, "Date de naissance", Date(patient.BirthDateElement?.Value));
        if (ins is not null) Item(html, "INS", ins.Value);
        html.Append("</dl>\n");

        html.Append("<h2>Plan</h2>\n<dl>");
        Item(html, "Version", version);
        Item(html, "Statut", Status(plan.Status));
        Item(html, "Rédigé par", names.Of(plan.Author));
        Item(html, "Créé le", Date(plan.Created));
        Item(html, "En vigueur depuis", Date(plan.Period?.Start));
        Item(html, "Date de révision prévue", Date((plan.GetExtension(PpsDocumentRenderer.RevisionDateExtension)?.Value as Date)?.Value));
        Item(html, "Validation par le médecin traitant", validation is null
            ? "non validé"
            : $"validé par {names.Of(validation.Validator)} le {validation.At.ToOffset(TimeSpan.FromHours(1)).ToString("dd/MM/yyyy", French)}");
        html.Append("</dl>\n");

        List(html, "Problèmes", plan.Addresses.Select(names.Of));
        List(html, "Objectifs", plan.Goal.Select(g => Goal(g, names)));
        Activities(html, plan, names);
        CareTeam(html, plan, names);
        List(html, "Notes", plan.Note.Select(n => n.Text));
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static string Goal(ResourceReference reference, ReferenceNames names)
    {
        if (names.Find<Goal>(reference) is not { } goal) return names.Of(reference);
        var text = goal.Description?.Text ?? goal.Description?.Coding.FirstOrDefault()?.Display ?? reference.Display ?? "(objectif sans libellé)";
        var due = goal.Target.Select(t => t.Due as Date).FirstOrDefault(d => d is not null)?.Value;
        return due is null ? text : $"{text} (échéance {Date(due)})";
    }

    private static void Activities(StringBuilder html, CarePlan plan, ReferenceNames names)
    {
        if (plan.Activity.Count == 0) return;
        html.Append("<h2>Actions</h2>\n<table><thead><tr><th>Action</th><th>Effecteur</th><th>Période</th><th>Statut</th></tr></thead><tbody>\n");
        foreach (var activity in plan.Activity)
        {
            var detail = activity.Detail;
            var what = detail?.Description ?? detail?.Code?.Text ?? detail?.Code?.Coding.FirstOrDefault()?.Display ?? names.Of(activity.Reference);
            var who = detail is null ? "" : string.Join(", ", detail.Performer.Select(names.Of));
            var when = detail?.Scheduled switch
            {
                Period p => Range(p.Start, p.End),
                FhirString s => s.Value,
                Timing t => t.Code?.Text ?? Range(t.Repeat?.Bounds is Period b ? b.Start : null, t.Repeat?.Bounds is Period e ? e.End : null),
                _ => "",
            };
            html.Append("<tr><td>").Append(Encode(what)).Append("</td><td>").Append(Encode(who)).Append("</td><td>")
                .Append(Encode(when)).Append("</td><td>").Append(Encode(detail?.Status?.GetLiteral() ?? "")).Append("</td></tr>\n");
        }
        html.Append("</tbody></table>\n");
    }

    private static void CareTeam(StringBuilder html, CarePlan plan, ReferenceNames names)
    {
        var teams = plan.CareTeam.Select(names.Find<CareTeam>).OfType<CareTeam>().ToList();
        var members = teams.SelectMany(t => t.Participant).Select(p =>
        {
            var role = p.Role.FirstOrDefault() is { } r ? r.Text ?? r.Coding.FirstOrDefault()?.Display ?? r.Coding.FirstOrDefault()?.Code : null;
            var since = p.Period?.Start is { } start ? $", depuis le {Date(start)}" : "";
            return $"{names.Of(p.Member)}{(role is null ? "" : $" — {role}")}{since}";
        }).ToList();
        List(html, "Équipe de soins", members.Count > 0 ? members : plan.CareTeam.Select(names.Of));
    }

    private static void List(StringBuilder html, string heading, IEnumerable<string?> items)
    {
        var list = items.Where(i => !string.IsNullOrWhiteSpace(i)).ToList();
        if (list.Count == 0) return;
        html.Append("<h2>").Append(Encode(heading)).Append("</h2>\n<ul>");
        foreach (var item in list) html.Append("<li>").Append(Encode(item)).Append("</li>");
        html.Append("</ul>\n");
    }

    private static void Item(StringBuilder html, string label, string? value) =>
        html.Append("<dt>").Append(Encode(label)).Append("</dt><dd>").Append(Encode(string.IsNullOrWhiteSpace(value) ? "—" : value)).Append("</dd>");

    private static string Status(RequestStatus? status) => status switch
    {
        RequestStatus.Draft => "brouillon",
        RequestStatus.Active => "en vigueur",
        RequestStatus.OnHold => "suspendu",
        RequestStatus.Revoked => "révoqué",
        RequestStatus.Completed => "terminé",
        _ => status?.GetLiteral() ?? "—",
    };

    private static string Range(string? start, string? end) =>
        start is null && end is null ? "" : $"du {Date(start)} au {(end is null ? "—" : Date(end))}";

    /// <summary>FHIR date or dateTime as dd/MM/yyyy; anything unparsable as given.</summary>
    private static string Date(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value.Length == 10 && DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            return d.ToString("dd/MM/yyyy", French);
        return new FhirDateTime(value).TryToDateTimeOffset(out var at) ? at.ToString("dd/MM/yyyy", French) : value;
    }
}
