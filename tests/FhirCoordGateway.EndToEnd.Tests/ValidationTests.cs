using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Profile validation on write (422), $validate, terminology operations and conformance resources via the API.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ValidationTests(GatewayFactory gateway)
{
    private const string InsProfile = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-patient-ins";

    public static TheoryData<string> InvalidInsPatients => new(ProfileExamples.Files("fhircoord-patient-ins", "invalid-").Select(Path.GetFileName)!);

    public static TheoryData<string> ValidInsPatients => new(ProfileExamples.Files("fhircoord-patient-ins", "valid-").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(InvalidInsPatients))]
    public async Task GivenInvalidInsPatient_WhenCreating_Then422WithExactlyTheExpectedIssuesAndNothingStored(string file)
    {
        var path = Path.Combine(ProfileExamples.Folder, "examples", "fhircoord-patient-ins", file);
        var client = gateway.Fhir();

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync((Patient)ProfileExamples.Parse(path)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        var errors = error.Outcome!.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Error)
            .Select(i => (i.Severity!.Value.GetLiteral(), i.Code!.Value.GetLiteral(), i.Expression.Single())).Order().ToList();
        Assert.Equal(ProfileExamples.Expected(path).Order(), errors);
    }

    [Theory]
    [MemberData(nameof(ValidInsPatients))]
    public async Task GivenValidInsPatient_WhenCreating_Then201(string file)
    {
        var patient = (Patient)ProfileExamples.Parse(Path.Combine(ProfileExamples.Folder, "examples", "fhircoord-patient-ins", file));
        var created = await gateway.Fhir().CreateAsync(patient);
        Assert.Equal(InsProfile, created!.Meta.Profile.Single());
    }

    [Fact]
    public async Task GivenInvalidResource_WhenValidatingAtTypeLevel_Then200WithErrors_AndNothingStored()
    {
        var path = Path.Combine(ProfileExamples.Folder, "examples", "fhircoord-patient-ins", "invalid-missing-birthdate.json");
        using var http = gateway.CreateClient();

        var response = await http.PostAsync("/fhir/Patient/$validate", Http.Json(ProfileExamples.Json(path)));

        var outcome = await Http.ReadOutcome(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Expression.Contains("Patient.birthDate"));
    }

    [Fact]
    public async Task GivenProfileParameter_WhenValidatingPlainPatient_ThenCheckedAgainstThatProfile()
    {
        var client = gateway.Fhir();
        var parameters = new Parameters();
        parameters.Add("resource", TestData.Patient());
        parameters.Add("profile", new FhirUri(InsProfile));
        parameters.Add("mode", new Code("create"));

        var withProfile = (OperationOutcome)(await client.TypeOperationAsync<Patient>("validate", parameters))!;
        var without = (OperationOutcome)(await client.TypeOperationAsync<Patient>("validate", TestData.Patient()))!;

        Assert.Contains(withProfile.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        Assert.DoesNotContain(without.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
    }

    [Fact]
    public async Task GivenUnparseableContent_WhenValidating_Then200WithTheParseIssue()
    {
        using var http = gateway.CreateClient();
        var response = await http.PostAsync("/fhir/Patient/$validate", Http.Json("""{"resourceType":"Patient","nickname":"Cam"}"""));

        var outcome = await Http.ReadOutcome(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Expression.Contains("Patient.nickname"));
    }

    [Fact]
    public async Task GivenStoredResource_WhenValidatingInstanceAgainstProfile_ThenIssuesAboutIt()
    {
        var client = gateway.Fhir();
        var created = (await client.CreateAsync(TestData.Patient()))!;
        using var http = gateway.CreateClient();

        var response = await http.GetAsync($"/fhir/Patient/{created.Id}/$validate?profile={Uri.EscapeDataString(InsProfile)}");
        var deleteMode = await http.PostAsync($"/fhir/Patient/{created.Id}/$validate?mode=delete", null);
        var badMode = await http.PostAsync("/fhir/Patient/$validate?mode=update", Http.Json("""{"resourceType":"Patient","active":true}"""));

        var outcome = await Http.ReadOutcome(response);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        Assert.Equal(HttpStatusCode.OK, deleteMode.StatusCode);
        await Http.AssertOutcome(badMode, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, "Patient.id");
    }

    [Fact]
    public async Task GivenUnknownProfiles_WhenCreating_ThenOursIsAnErrorAndAPartnersAWarning()
    {
        using var http = gateway.CreateClient();
        var ours = TestData.Patient();
        ours.Meta = new Meta { Profile = ["https://fhircoord.example/fhir/StructureDefinition/does-not-exist"] };
        var partners = TestData.Patient();
        partners.Meta = new Meta { Profile = ["https://partner.example/fhir/StructureDefinition/their-patient"] };

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => gateway.Fhir().CreateAsync(ours));
        var response = await http.SendAsync(Http.Request(HttpMethod.Post, "/fhir/Patient",
            Http.Json(FhirJsonSerializer.Default.SerializeToString(partners)), ("Prefer", "return=OperationOutcome")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var warnings = await Http.ReadOutcome(response);
        Assert.Contains(warnings.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Warning);
    }

    [Fact]
    public async Task GivenProfileWrittenThroughApi_ThenUsedAtOnce_AndItsRevisionToo()
    {
        var client = gateway.Fhir();
        var id = TestData.Unique("needs-phone");
        var url = $"https://fhircoord.example/fhir/StructureDefinition/{id}";
        var profile = PatientProfile(id, url, min: 1);
        var stored = (await client.UpdateAsync(profile))!;
        var patient = TestData.Patient();
        patient.Meta = new Meta { Profile = [url] };

        var refused = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(patient));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Contains(refused.Outcome!.Issue, i => i.Expression.Contains("Patient.telecom"));

        stored.Differential.Element[0].Min = 0;
        await client.UpdateAsync(stored);
        var accepted = await client.CreateAsync(patient);
        Assert.Equal(url, accepted!.Meta.Profile.Single());

        var found = (await client.SearchAsync<StructureDefinition>([$"url={url}"]))!;
        Assert.Equal(0, ((StructureDefinition)found.Entry.Single().Resource).Differential.Element[0].Min);
    }

    [Fact]
    public async Task GivenValueSetWrittenThroughApi_ThenExpandedAndServedByUrlAtOnce()
    {
        var client = gateway.Fhir();
        var id = TestData.Unique("vs");
        var url = $"https://fhircoord.example/fhir/ValueSet/{id}";
        var valueSet = new ValueSet
        {
            Id = id,
            Url = url,
            Name = "TestCategories",
            Status = PublicationStatus.Active,
            Compose = new ValueSet.ComposeComponent
            {
                Include = [new ValueSet.ConceptSetComponent { System = "https://fhircoord.example/fhir/CodeSystem/fhircoord-careplan-category" }],
            },
        };

        await client.UpdateAsync(valueSet);
        using var http = gateway.CreateClient();
        var expansion = (ValueSet)new FhirJsonDeserializer().DeserializeResource(await http.GetStringAsync($"/fhir/ValueSet/$expand?url={Uri.EscapeDataString(url)}"));
        var byUrl = (await client.SearchAsync<ValueSet>([$"url={url}"]))!;

        Assert.Equal(["pps"], expansion.Expansion.Contains.Select(c => c.Code));
        Assert.Equal(url, ((ValueSet)byUrl.Entry.Single().Resource).Url);
    }

    [Fact]
    public async Task GivenProfileWhoseSnapshotFails_WhenWriting_Then422AndNotStored()
    {
        var client = gateway.Fhir();
        var id = TestData.Unique("broken");
        var profile = PatientProfile(id, $"https://fhircoord.example/fhir/StructureDefinition/{id}", min: 1);
        profile.Differential.Element[0].Path = "Patient.noSuchElement";
        profile.Differential.Element[0].ElementId = "Patient.noSuchElement";

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.UpdateAsync(profile));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Contains(error.Outcome!.Issue, i => (i.Diagnostics ?? i.Details?.Text ?? string.Empty).Contains("Patient.noSuchElement"));
        var missing = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<StructureDefinition>($"StructureDefinition/{id}"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }

    [Fact]
    public async Task GivenDefaultProfileConfiguredForPatient_WhenCreatingPlainPatient_Then422()
    {
        using var factory = GatewayFactory.WithSettings(new Dictionary<string, string> { ["Validation:DefaultProfiles:Patient:0"] = InsProfile });
        var client = new FhirClient(new Uri(factory.Server.BaseAddress, "fhir"), factory.CreateClient());

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(TestData.Patient()));
        var plan = await client.CreateAsync(new CarePlan { Status = RequestStatus.Draft, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/x") });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Contains(error.Outcome!.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Expression.Contains("Patient.name"));
        Assert.NotNull(plan!.Id);
    }

    [Theory]
    [InlineData(InsProfile)]
    [InlineData("http://hl7.org/fhir/StructureDefinition/Patient")]
    public async Task GivenLoadedProfileUrl_WhenSearchingStructureDefinitionByUrl_ThenItIsServedWithSnapshot(string url)
    {
        var bundle = (await gateway.Fhir().SearchAsync<StructureDefinition>([$"url={url}"]))!;

        var profile = (StructureDefinition)bundle.Entry.Single().Resource;
        Assert.Equal(url, profile.Url);
        Assert.NotEmpty(profile.Snapshot.Element);
        var none = (await gateway.Fhir().SearchAsync<StructureDefinition>(["url=https://nowhere.example/sd"]))!;
        Assert.Empty(none.Entry);
    }

    [Fact]
    public async Task GivenLocalValueSet_WhenExpandingAndValidatingCodes_ThenAnswersFromLocalTerminology()
    {
        using var http = gateway.CreateClient();
        var vs = Uri.EscapeDataString("https://fhircoord.example/fhir/ValueSet/fhircoord-identity-status");
        var cs = Uri.EscapeDataString("https://fhircoord.example/fhir/CodeSystem/fhircoord-careplan-category");

        var expansion = (ValueSet)new FhirJsonDeserializer().DeserializeResource(await http.GetStringAsync($"/fhir/ValueSet/$expand?url={vs}"));
        var valid = await http.GetStringAsync($"/fhir/ValueSet/$validate-code?url={vs}&code=QUAL&system={Uri.EscapeDataString("https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status")}");
        var invalid = await http.GetStringAsync($"/fhir/ValueSet/$validate-code?url={vs}&code=NOPE");
        var inCodeSystem = await http.GetStringAsync($"/fhir/CodeSystem/$validate-code?url={cs}&code=pps");
        var unknown = await http.GetAsync("/fhir/ValueSet/$expand?url=https%3A%2F%2Fnowhere.example%2Fvs");

        Assert.Equal(["PROV", "QUAL", "RECUP", "VALI"], expansion.Expansion.Contains.Select(c => c.Code).Order());
        Assert.Contains("\"valueBoolean\":false", invalid);
        Assert.Contains("\"valueBoolean\":true", inCodeSystem);
        Assert.Contains("\"name\":\"result\"", valid);
        await Http.AssertOutcome(unknown, HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
    }

    [Fact]
    public async Task GivenMetadata_ThenLocalProfilesAndValidationOperationsAreListed()
    {
        var statement = (await gateway.Fhir().CapabilityStatementAsync())!;
        var rest = statement.Rest.Single();

        Assert.Contains(InsProfile, rest.Resource.Single(r => r.Type == "Patient").SupportedProfile);
        Assert.Contains("https://fhircoord.example/fhir/StructureDefinition/fhircoord-careplan-pps", rest.Resource.Single(r => r.Type == "CarePlan").SupportedProfile);
        Assert.Contains(rest.Resource.Single(r => r.Type == "ValueSet").Operation, o => o.Name == "expand");
        Assert.Contains(rest.Resource.Single(r => r.Type == "Patient").Operation, o => o.Name == "validate");
    }

    private static StructureDefinition PatientProfile(string id, string url, int min) => new()
    {
        Id = id,
        Url = url,
        Name = "TestPatient" + id.Replace("-", string.Empty),
        Status = PublicationStatus.Active,
        Kind = StructureDefinition.StructureDefinitionKind.Resource,
        Abstract = false,
        Type = "Patient",
        FhirVersion = FHIRVersion.N4_0_1,
        BaseDefinition = "http://hl7.org/fhir/StructureDefinition/Patient",
        Derivation = StructureDefinition.TypeDerivationRule.Constraint,
        Differential = new StructureDefinition.DifferentialComponent
        {
            Element = [new ElementDefinition { ElementId = "Patient.telecom", Path = "Patient.telecom", Min = min }],
        },
    };
}
