using System.Collections.Concurrent;
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
/// How routing queues a change-feed batch's deliveries (docs/adr/0017): the documents are shared out round-robin into
/// at most <c>Delivery:RoutingParallelism</c> lanes, each making its Tasks and queueing them as one job. The gateway runs
/// no change feed of its own here, so the test hands the batch to the routing consumer itself, with a queue that records
/// what it is given.
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
        var jobs = queue.Jobs.OrderByDescending(j => j.Count).ToList();
        Assert.Equal([3, 2], jobs.Select(j => j.Count));
        Assert.Equal(tasks.Select(t => t.Id).Order(), jobs.SelectMany(j => j).Order());
        // Round-robin: one lane had the first, third and fifth documents, in that order.
        Assert.Equal(
            documents.Where((_, i) => i % 2 == 0).Select(d => tasks.Single(t => t.Focus.Reference == $"DocumentReference/{d.Id}").Id),
            jobs[0]);
    }

    [Fact]
    public async Task A_batch_without_new_documents_is_handled_without_queueing_anything()
    {
        var queue = new RecordingQueue();
        var routing = ActivatorUtilities.CreateInstance<DocumentRoutingConsumer>(_gateway.Factory.Services, queue);

        // Most feed batches under load hold only delivery Task versions; one that failed would stall the feed (error pause).
        await routing.HandleAsync(
            [new ChangeEntry(new ChangeFeedPosition(1, 1), "Task", "dlv-1", 2, ChangeOperation.Update, DateTimeOffset.UtcNow)],
            CancellationToken.None);

        Assert.Empty(queue.Jobs);
    }

    private sealed class RecordingQueue : IDeliveryQueue
    {
        // Lanes queue concurrently.
        public ConcurrentQueue<IReadOnlyList<string>> Jobs { get; } = [];

        public void Enqueue(string taskId) => Jobs.Enqueue([taskId]);

        public void EnqueueAll(IReadOnlyList<string> taskIds) => Jobs.Enqueue(taskIds);

        public void Schedule(string taskId, TimeSpan delay) => throw new InvalidOperationException("routing schedules nothing");
    }

    /// <summary>A gateway with the shared-record channel only and two routing lanes; no change feed or job server.</summary>
    public sealed class Gateway : IDisposable
    {
        public GatewayFactory Factory { get; } = GatewayFactory.With(
            new Dictionary<string, string>
            {
                ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase("delivery_batching"),
                ["Delivery:RoutingParallelism"] = "2",
            },
            services => services.AddSingleton<ISharedRecordConnector>(new DeliveryRoutingTests.RecordingSharedRecord()));

        public void Dispose() => Factory.Dispose();
    }
}
