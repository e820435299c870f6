using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FhirCoordGateway.Delivery.SharedRecord;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirCoordGateway.Delivery.Tests.SharedRecord.PpsFixtures;
using static FhirCoordGateway.Delivery.Tests.SharedRecord.SharedRecordFixtures;

namespace FhirCoordGateway.Delivery.Tests.SharedRecord;

public class PpsDocumentRendererTests
{
    private static string Html(DocumentReference document) => Encoding.UTF8.GetString(document.Content[0].Attachment.Data);

    [Fact]
    public void GivenValidatedPps_WhenRendering_ThenTheDocumentReferenceMeetsThePpsProfile()
    {
        var document = Renderer().Render(Request(Plan("3")));

        var result = Validator.Validate(document);

        Assert.Equal(PpsDocumentRenderer.Profile, Assert.Single(document.Meta.Profile));
        Assert.False(result.HasErrors, Describe(result));
    }

    [Fact]
    public void GivenValidatedPps_WhenRendering_ThenMetadataDescribeThePpsVersion()
    {
        var plan = Plan("3");
        var document = Renderer().Render(Request(plan));
        var attachment = document.Content.Single().Attachment;

        Assert.Equal(("http://loinc.org", "18776-5"), (document.Type.Coding[0].System, document.Type.Coding[0].Code));
        Assert.Equal("Patient/pat-lefebvre", document.Subject.Reference);
        Assert.Equal("PractitionerRole/prr-mt-bernard", document.Author.Single().Reference);
        Assert.Equal("PractitionerRole/prr-mt-bernard", document.Authenticator.Reference);
        Assert.Equal("Organization/org-cabinet-tilleuls", document.Custodian.Reference);
        Assert.Equal(plan.Meta.LastUpdated, document.Date);
        Assert.Equal(CompositionStatus.Final, document.DocStatus);
        Assert.Equal("CarePlan/cp-pps-lefebvre/_history/3", document.Context.Related.Single().Reference);
        Assert.Equal("2026-10-02", document.Context.Period.Start);
        Assert.Equal("text/html", attachment.ContentType);
        Assert.Equal("fr-FR", attachment.Language);
        Assert.Equal(attachment.Data.Length, (int)attachment.SizeUnsignedInt!);
        Assert.Equal(SHA1.HashData(attachment.Data), attachment.Hash);
        Assert.Equal("urn:ihe:iti:xds:2017:mimeTypeSufficient", document.Content[0].Format.Code);
        Assert.Empty(document.RelatesTo);

        using var json = JsonDocument.Parse(new FhirJsonSerializer().SerializeToString(document));
        Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("content")[0].GetProperty("attachment").GetProperty("size").ValueKind);
    }

    [Fact]
    public void GivenValidatedPps_WhenRendering_ThenTheHtmlShowsGoalsActionsCareTeamRevisionAndValidation()
    {
        var html = Html(Renderer().Render(Request(Plan("3"))));

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("Jeanne LEFEBVRE", html);
        Assert.Contains("<dt>Date de révision prévue</dt><dd>02/04/2027</dd>", html);
        Assert.Contains("validé par Dr Claire BERNARD (Cabinet médical des Tilleuls) le 02/10/2026", html);
        Assert.Contains("<li>Rester à domicile en autonomie (échéance 02/04/2027)</li>", html);
        Assert.Contains("<li>Insuffisance cardiaque chronique</li>", html);
        // An activity given in detail (performer not provided: its reference is all we have) and one by reference.
        Assert.Contains("<td>Passage infirmier 3 fois par semaine: surveillance du poids et des oedèmes</td><td>(non renseigné)</td><td>du 05/10/2026 au 02/04/2027</td><td>in-progress</td>", html);
        Assert.Contains("<td>Adressage en cardiologie</td>", html);
        Assert.Contains("<li>Dr Claire BERNARD (Cabinet médical des Tilleuls) — primary care physician, depuis le 15/09/2026</li>", html);
        Assert.Contains("Aidant principal: fils (Pierre MOREAU).", html);
    }

    [Fact]
    public void GivenTextWithMarkup_WhenRendering_ThenEverythingIsEscaped()
    {
        var plan = Plan("4", p =>
        {
            p.Title = "PPS <b>x</b>";
            p.Note = [new Annotation { Text = "<script>alert('pps-9d1')</script> & \"co\"" }];
        });

        var document = Renderer().Render(Request(plan));
        var html = Html(document);

        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<b>x</b>", html);
        Assert.Contains("&lt;script&gt;alert(&#x27;pps-9d1&#x27;)&lt;/script&gt; &amp; &quot;co&quot;", html);
        Assert.Contains("PPS &lt;b&gt;x&lt;/b&gt;", html);
    }

    [Fact]
    public void GivenTheSameVersion_WhenRenderingTwice_ThenTheSameDocument_AndANewVersionGetsANewUniqueId()
    {
        var first = Renderer().Render(Request(Plan("3")));
        var again = Renderer().Render(Request(Plan("3")));
        var next = Renderer().Render(Request(Plan("4")));

        Assert.Equal(first.MasterIdentifier.Value, again.MasterIdentifier.Value);
        Assert.Equal(first.Content[0].Attachment.Data, again.Content[0].Attachment.Data);
        Assert.NotEqual(first.MasterIdentifier.Value, next.MasterIdentifier.Value);
        Assert.Matches("^urn:uuid:[0-9a-f-]{36}$", first.MasterIdentifier.Value);
    }

    [Fact]
    public void GivenANewVersion_WhenRenderingWithThePreviousDocument_ThenItReplacesItByReferenceAndUniqueId()
    {
        var previous = Renderer().Render(Request(Plan("3")));
        previous.Id = "doc-pps-v3-71c0";

        var next = Renderer().Render(Request(Plan("4"), previous));

        var relation = Assert.Single(next.RelatesTo);
        Assert.Equal(DocumentRelationshipType.Replaces, relation.Code);
        Assert.Equal("DocumentReference/doc-pps-v3-71c0", relation.Target.Reference);
        Assert.Equal(previous.MasterIdentifier.Value, relation.Target.Identifier.Value);
        Assert.False(Validator.Validate(next).HasErrors, Describe(Validator.Validate(next)));
    }

    [Fact]
    public void GivenADraft_WhenRendering_ThenPreliminaryAndNotValidated()
    {
        var plan = Plan("2", p =>
        {
            p.Status = RequestStatus.Draft;
            p.Extension.RemoveAll(e => e.Url == PpsDocumentRenderer.MtValidationExtension);
        });

        var document = Renderer().Render(Request(plan));

        Assert.Equal(CompositionStatus.Preliminary, document.DocStatus);
        Assert.Null(document.Authenticator);
        Assert.Contains("<dt>Validation par le médecin traitant</dt><dd>non validé</dd>", Html(document));
        Assert.False(Validator.Validate(document).HasErrors);
    }
}
