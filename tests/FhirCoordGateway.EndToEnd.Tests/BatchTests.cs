using Hl7.Fhir.Model;
using static FhirCoordGateway.EndToEnd.Tests.TransactionTests;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Batches: each entry alone, in its own database transaction. https://hl7.org/fhir/R4/http.html#transaction</summary>
[Collection(GatewayCollection.Name)]
public sealed class BatchTests(GatewayFactory gateway)
{
    [Fact]
    public async Task GivenMiddleEntryFailing_WhenBatch_ThenOthersStoredAndFailureReportedInItsEntry()
    {
        var client = gateway.Fhir();
        var marker = TestData.Unique("batch");
        var orphan = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "29463-7"),
            Identifier = [new Identifier("urn:test", marker)],
            Subject = new ResourceReference("Patient/does-not-exist-" + marker),
        };
        var batch = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(marker), Urn()),
                Entry(Bundle.HTTPVerb.POST, "Observation", orphan, Urn()),
                Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(marker), Urn()),
                Entry(Bundle.HTTPVerb.GET, "Patient/never-" + marker[..10]),
            ],
        };

        var response = (await client.TransactionAsync(batch))!;

        Assert.Equal(Bundle.BundleType.BatchResponse, response.Type);
        Assert.Equal(["201 Created", "400 Bad Request", "201 Created", "404 Not Found"], response.Entry.Select(e => e.Response.Status));
        var issue = Assert.Single(response.Entry[1].Response.Outcome is OperationOutcome o ? o.Issue : []);
        Assert.Equal(OperationOutcome.IssueType.NotFound, issue.Code);
        Assert.Equal(["Bundle.entry[1].resource.subject.reference"], issue.Expression);
        Assert.Equal(2, await Db.CountContaining(marker, "Patient"));
        Assert.Equal(0, await Db.CountContaining(marker, "Observation"));
    }

    [Fact]
    public async Task GivenUrnReferenceToAnotherEntry_WhenBatch_ThenThatEntryFailsAlone()
    {
        // Batch entries must not depend on each other (http.html#brules): a urn:uuid of another entry is a reference to nowhere.
        var client = gateway.Fhir();
        var patientUrn = Urn();
        var batch = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(), patientUrn),
                Entry(Bundle.HTTPVerb.POST, "CareTeam", new CareTeam { Subject = new ResourceReference(patientUrn) }, Urn()),
            ],
        };

        var response = (await client.TransactionAsync(batch))!;

        Assert.Equal(["201 Created", "400 Bad Request"], response.Entry.Select(e => e.Response.Status));
    }

    [Fact]
    public async Task GivenConditionalCreatesOfTheSamePatient_WhenBatch_ThenSecondFindsTheFirst()
    {
        var client = gateway.Fhir();
        var ipp = TestData.Unique("batch-cc");
        Bundle.EntryComponent Conditional() => new()
        {
            Resource = TestData.Patient(ipp),
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient", IfNoneExist = $"identifier={TestData.Ipp}|{ipp}" },
        };

        var response = (await client.TransactionAsync(new Bundle { Type = Bundle.BundleType.Batch, Entry = [Conditional(), Conditional()] }))!;

        Assert.Equal(["201 Created", "200 OK"], response.Entry.Select(e => e.Response.Status));
        Assert.Equal(response.Entry[0].Response.Location, response.Entry[1].Response.Location);
    }
}
