using System.Net;
using FhirCoordGateway.Api.Security;
using FhirCoordGateway.Core.Security;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// French document visibility (TRE_A07): MASQUE_PS hides a document from professionals, INVISIBLE_PATIENT from
/// the patient (and their legal representatives), INVISIBLE_REPRESENTANTS_LEGAUX from legal representatives;
/// hidden on read (404), search and includes, by the token's role (ADR 0012).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ConfidentialityLabelTests(GatewayFactory gateway) : IAsyncLifetime
{
    private readonly string _type = TestData.Unique("label-type");
    private readonly Dictionary<string, string> _ids = [];
    private Patient _patient = null!;

    public async Task InitializeAsync()
    {
        var admin = gateway.Fhir();
        _patient = (await admin.CreateAsync(TestData.Patient()))!;
        foreach (var label in new[] { "none", ResourceVisibility.HiddenFromProfessionals, ResourceVisibility.HiddenFromPatient, ResourceVisibility.HiddenFromLegalRepresentatives })
        {
            var document = new DocumentReference
            {
                Status = DocumentReferenceStatus.Current,
                Type = new CodeableConcept("http://test.example.org/doc-type", _type),
                Subject = new ResourceReference($"Patient/{_patient.Id}"),
                Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain", Data = "test"u8.ToArray() } }],
            };
            if (label != "none")
            {
                document.SecurityLabel.Add(new CodeableConcept(ResourceVisibility.VisibilitySystem, label));
            }

            _ids[label] = (await admin.CreateAsync(document))!.Id;
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private string Token(string role) => role switch
    {
        "system" => TestTokens.Token("system/*.rs"),
        "professional" => TestTokens.Token("user/*.rs", role: "professional"),
        "patient" => TestTokens.Token("patient/*.rs", patient: _patient.Id),
        _ => TestTokens.Token("patient/*.rs", patient: _patient.Id, role: "legal-representative"),
    };

    public static TheoryData<string, string[]> Hidden() => new()
    {
        { "system", [] },
        { "professional", [ResourceVisibility.HiddenFromProfessionals] },
        { "patient", [ResourceVisibility.HiddenFromPatient] },
        { "legal-representative", [ResourceVisibility.HiddenFromLegalRepresentatives, ResourceVisibility.HiddenFromPatient] },
    };

    [Theory]
    [MemberData(nameof(Hidden))]
    public async Task GivenRole_WhenReadingEachDocument_ThenHiddenOnesAre404(string role, string[] hidden)
    {
        using var http = gateway.ClientWith(Token(role));

        foreach (var (label, id) in _ids)
        {
            var response = await http.GetAsync($"/fhir/DocumentReference/{id}");
            Assert.Equal(hidden.Contains(label) ? HttpStatusCode.NotFound : HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Theory]
    [MemberData(nameof(Hidden))]
    public async Task GivenRole_WhenSearchingOrIncluding_ThenHiddenOnesLeftOut(string role, string[] hidden)
    {
        var client = gateway.FhirWith(Token(role));
        var expected = _ids.Where(p => !hidden.Contains(p.Key)).Select(p => p.Value).Order().ToList();

        var search = (await client.SearchAsync<DocumentReference>([$"type={_type}"]))!;
        var revinclude = (await client.SearchAsync<Patient>([$"_id={_patient.Id}", "_revinclude=DocumentReference:subject"]))!;
        var everything = await gateway.ClientWith(Token(role)).GetAsync($"/fhir/Patient/{_patient.Id}/$everything?_type=DocumentReference,Patient");

        Assert.Equal(expected, search.Entry.Select(e => e.Resource.Id).Order());
        Assert.Equal(expected, revinclude.Entry.Where(e => e.Resource is DocumentReference).Select(e => e.Resource.Id).Order());
        var body = await everything.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, everything.StatusCode);
        Assert.All(_ids, p => Assert.Equal(!hidden.Contains(p.Key), body.Contains(p.Value, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task GivenDocumentMaskedFromProfessionals_WhenItsAuthorReadsOrSearches_ThenTheyStillSeeIt()
    {
        var admin = gateway.Fhir();
        var author = (await admin.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Auteur" }] }))!;
        var type = TestData.Unique("authored-type");
        var inLabel = await CreateMaskedAsync(admin, type, $"Practitioner/{author.Id}", inMeta: false);
        var inMeta = await CreateMaskedAsync(admin, type, $"Practitioner/{author.Id}/_history/1", inMeta: true);
        var authorToken = TestTokens.Token(new TokenRequest("user/*.rs", Role: "professional") { FhirUser = $"Practitioner/{author.Id}" });
        var otherToken = TestTokens.Token(new TokenRequest("user/*.rs", Role: "professional") { FhirUser = "Practitioner/someone-else-7c1" });
        using var authorHttp = gateway.ClientWith(authorToken);
        using var otherHttp = gateway.ClientWith(otherToken);

        var authorSearch = (await gateway.FhirWith(authorToken).SearchAsync<DocumentReference>([$"type={type}"]))!;
        var otherSearch = (await gateway.FhirWith(otherToken).SearchAsync<DocumentReference>([$"type={type}"]))!;
        var authorRevinclude = (await gateway.FhirWith(authorToken).SearchAsync<Patient>([$"_id={_patient.Id}", "_revinclude=DocumentReference:subject"]))!;

        foreach (var id in new[] { inLabel, inMeta })
        {
            Assert.Equal(HttpStatusCode.OK, (await authorHttp.GetAsync($"/fhir/DocumentReference/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await otherHttp.GetAsync($"/fhir/DocumentReference/{id}")).StatusCode);
            Assert.Contains(authorRevinclude.Entry, e => e.Resource.Id == id);
        }

        Assert.Equal(new[] { inLabel, inMeta }.Order(), authorSearch.Entry.Select(e => e.Resource.Id).Order());
        Assert.Empty(otherSearch.Entry);
        // The author's exception is for MASQUE_PS only: the document masked from everyone else stays hidden from others.
        Assert.DoesNotContain(authorRevinclude.Entry, e => e.Resource.Id == _ids[ResourceVisibility.HiddenFromProfessionals]);
    }

    private async Task<string> CreateMaskedAsync(Hl7.Fhir.Rest.FhirClient admin, string type, string author, bool inMeta)
    {
        var document = new DocumentReference
        {
            Status = DocumentReferenceStatus.Current,
            Type = new CodeableConcept("http://test.example.org/doc-type", type),
            Subject = new ResourceReference($"Patient/{_patient.Id}"),
            Author = [new ResourceReference(author)],
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain", Data = "test"u8.ToArray() } }],
        };
        var label = new Coding(ResourceVisibility.VisibilitySystem, ResourceVisibility.HiddenFromProfessionals);
        if (inMeta)
        {
            document.Meta = new Meta { Security = [label] };
        }
        else
        {
            document.SecurityLabel.Add(new CodeableConcept { Coding = [label] });
        }

        return (await admin.CreateAsync(document))!.Id;
    }
}
