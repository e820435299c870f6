using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Issue 6 fault test: an API node takes documents while a separate worker process delivers them; the worker is
/// killed with SIGKILL while submissions are in flight (some stored by the shared record, their answers lost), a
/// new worker starts, and every delivery completes with each document stored exactly once.
/// </summary>
[Collection(BackgroundWorkCollection.Name)]
public sealed class DeliveryCrashTests
{
    private const int Documents = 12;

    [Fact]
    public async Task Killing_the_worker_mid_delivery_then_restarting_it_delivers_every_document_exactly_once()
    {
        using var sharedRecord = new FakeSharedRecord { AnswerDelay = TimeSpan.FromMilliseconds(700) };
        var database = GatewayFactory.OwnDatabase("delivery_crash");
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Fhir"] = database,
            ["Jobs:InvisibilityTimeout"] = "00:00:05",
            ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
            ["Jobs:WorkerCount"] = "4",
            ["Delivery:Retry:BaseDelay"] = "00:00:00.200",
            ["Delivery:SharedRecord:BaseUrl"] = sharedRecord.BaseUrl,
            ["Delivery:SharedRecord:SourceOid"] = "1.2.250.1.999.7.3",
            ["Delivery:SharedRecord:TimeoutSeconds"] = "10",
            ["Delivery:SharedRecord:DefaultCustodian:IdentifierSystem"] = "urn:oid:1.2.250.1.71.4.2.2",
            ["Delivery:SharedRecord:DefaultCustodian:IdentifierValue"] = "1999999999",
        };
        await using var api = GatewayFactory.WithSettings(new Dictionary<string, string> { ["ConnectionStrings:Fhir"] = database });
        var fhir = api.Fhir();
        await using var worker = await GatewayProcess.StartAsync(settings, worker: true);
        var documents = new List<DocumentReference>();
        var author = await fhir.CreateAsync(new Practitioner { Name = [new HumanName { Family = TestData.Unique("Dr"), Given = ["Alix"] }] });
        for (var i = 0; i < Documents; i++)
        {
            documents.Add(await PostCrhAsync(fhir, $"Practitioner/{author.Id}"));
        }

        await Eventually.UntilAsync(
            () => System.Threading.Tasks.Task.FromResult(sharedRecord.Stored.Count >= 3), "some documents stored before the crash", () => worker.Output[^Math.Min(4000, worker.Output.Length)..]);
        worker.Kill();
        var storedBeforeCrash = sharedRecord.Stored.Count;
        Assert.True(storedBeforeCrash < Documents, "the crash must happen while deliveries are still in flight");

        await using var restarted = await GatewayProcess.StartAsync(settings, worker: true);
        List<FhirTask> deliveries = [];
        await Eventually.UntilAsync(async () =>
        {
            deliveries = (await fhir.SearchAsync<FhirTask>(["_count=100"])).Entry.Select(e => (FhirTask)e.Resource).ToList();
            return deliveries.Count == Documents && deliveries.All(t => t.Status == FhirTask.TaskStatus.Completed);
        }, "every delivery completed after the restart", () => DeliveryRoutingTests.DeliveryStates(deliveries) + "\n" + restarted.Output[^Math.Min(3000, restarted.Output.Length)..]);

        foreach (var document in documents)
        {
            Assert.Single(sharedRecord.StoredDocuments, d => d.MasterIdentifier.Value == document.MasterIdentifier.Value);
        }
    }

    private static async Task<DocumentReference> PostCrhAsync(FhirClient fhir, string author)
    {
        var patient = await fhir.CreateAsync(DocumentData.InsPatient(DocumentData.NewNir()));
        return await fhir.CreateAsync(new DocumentReference
        {
            MasterIdentifier = new Identifier("urn:ietf:rfc:3986", $"urn:oid:1.2.250.1.999.7.9.{Random.Shared.NextInt64(1, long.MaxValue)}"),
            Status = DocumentReferenceStatus.Current,
            Type = new CodeableConcept("http://loinc.org", "34112-3", "CR hospitalier (séjour)"),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Date = DateTimeOffset.UtcNow,
            Author = [new ResourceReference(author)],
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "application/pdf", Data = "%PDF-1.4 CRH\n%%EOF\n"u8.ToArray(), Title = "CRH" } }],
        });
    }
}
