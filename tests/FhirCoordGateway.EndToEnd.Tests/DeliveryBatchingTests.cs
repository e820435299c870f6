using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Delivery;
using FhirCoordGateway.Delivery.Jobs;
using FhirCoordGateway.Delivery.Routing;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.Extensions.DependencyInjection;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// How routing queues a change-feed batch's deliveries (docs/adr/0017): all of its Tasks made, then shared out
/// round-robin into at most <c>Delivery:JobsPerBatch</c> jobs. The gateway runs no change feed of its own here, so the
/// test hands the batch to the routing consumer itself, with a queue that records what it is given.
/// </summary>
public sealed class DeliveryBatchingTests : IClassFixture<DeliveryBatchingTests.Gateway>
{
    private readonly Gateway _gateway;
    private readonly FhirClient _fhir;

    public DeliveryBatchingTests(Gateway gateway)
    {
        _gateway = gateway;
        _fhir = gateway.Factory.Fhir();
    }

    [Fact]
    public async Task A_batch_of_five_documents_makes_five_ready_deliveries_queued_as_two_jobs_of_three_and_two()
    {
        var author = await WorkflowData.RoleAsync(_fhir, $"{TestData.Unique("chu")}@chu.mssante.fr");
        var patient = (await _fhir.CreateAsync(TestData.Patient()))!;
        var documents = new List<DocumentReference>();
        for (var i = 0; i < 5; i++)
        {
            documents.Add((await _fhir.CreateAsync(new DocumentReference
            {
                Status = DocumentReferenceStatus.Current,
                Type = new CodeableConcept("http://loinc.org", "34112-3"),
                Subject = new ResourceReference($"Patient/{patient.Id}"),
                Author = [new ResourceReference(author)],
                Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "application/pdf", Data = "%PDF-1.4 CRH"u8.ToArray() } }],
            }))!);
        }

        var queue = new RecordingQueue();
        var routing = ActivatorUtilities.CreateInstance<DocumentRoutingConsumer>(_gateway.Factory.Services, queue);
        await routing.HandleAsync(
            [.. documents.Select((d, i) => new ChangeEntry(new ChangeFeedPosition(1, i), "DocumentReference", d.Id, 1, ChangeOperation.Create, DateTimeOffset.UtcNow))],
            CancellationToken.None);

        var tasks = (await _fhir.SearchAsync<FhirTask>([$"focus={string.Join(',', documents.Select(d => $"DocumentReference/{d.Id}"))}", "_count=50"]))!
            .Entry.Select(e => (FhirTask)e.Resource).ToList();
        Assert.Equal(5, tasks.Count);
        Assert.All(tasks, t => Assert.Equal(FhirTask.TaskStatus.Ready, t.Status));
        Assert.Equal([3, 2], queue.Jobs.Select(j => j.Count));
        Assert.Equal(tasks.Select(t => t.Id).Order(), queue.Jobs.SelectMany(j => j).Order());
        // Round-robin: the first job holds the first, third and fifth documents' deliveries.
        Assert.Equal(
            documents.Where((_, i) => i % 2 == 0).Select(d => tasks.Single(t => t.Focus.Reference == $"DocumentReference/{d.Id}").Id),
            queue.Jobs[0]);
    }

    private sealed class RecordingQueue : IDeliveryQueue
    {
        public List<IReadOnlyList<string>> Jobs { get; } = [];

        public void Enqueue(string taskId) => Jobs.Add([taskId]);

        public void EnqueueAll(IReadOnlyList<string> taskIds) => Jobs.Add(taskIds);

        public void Schedule(string taskId, TimeSpan delay) => throw new InvalidOperationException("routing schedules nothing");
    }

    /// <summary>A gateway with the shared-record channel only and two jobs per routing batch; no change feed or job server.</summary>
    public sealed class Gateway : IDisposable
    {
        public GatewayFactory Factory { get; } = GatewayFactory.With(
            new Dictionary<string, string>
            {
                ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase("delivery_batching"),
                ["Delivery:JobsPerBatch"] = "2",
            },
            services => services.AddSingleton<ISharedRecordConnector>(new DeliveryRoutingTests.RecordingSharedRecord()));

        public void Dispose() => Factory.Dispose();
    }
}
