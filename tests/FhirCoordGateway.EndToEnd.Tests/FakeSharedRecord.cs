using System.Collections.Concurrent;
using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// A DMP-like shared record on WireMock.Net that remembers what it stored: ITI-65 (<c>POST [base]</c>) answers a
/// transaction-response and keeps the DocumentReferences by uniqueId; ITI-67 (<c>GET DocumentReference?identifier=</c>)
/// finds them. <see cref="Down"/> makes it answer 503 to everything, as an unavailable peer does.
/// </summary>
public sealed class FakeSharedRecord : IDisposable
{
    private const string Base = "/fhir";
    private static readonly FhirJsonDeserializer Reader = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));
    private static readonly FhirJsonSerializer Writer = new();
    private readonly WireMockServer _server = WireMockServer.Start();

    public FakeSharedRecord()
    {
        _server.Given(Request.Create().WithPath(Base).UsingPost()).RespondWith(Response.Create().WithCallback(Provide));
        _server.Given(Request.Create().WithPath(Base + "/DocumentReference").UsingGet()).RespondWith(Response.Create().WithCallback(Find));
    }

    public string BaseUrl => _server.Url + Base;

    public volatile bool Down;

    /// <summary>How long it takes to answer a submission it has already stored (an answer that may never arrive).</summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>The next <paramref name="count"/> submissions are stored at once but answered only after <paramref name="delay"/>.</summary>
    public void AnswerSlowly(int count, TimeSpan delay)
    {
        _slowDelay = delay;
        _slowAnswers = count;
    }

    private int _slowAnswers;
    private TimeSpan _slowDelay;

    /// <summary>Each accepted ITI-65 bundle, in arrival order.</summary>
    public ConcurrentQueue<Bundle> Stored { get; } = new();

    /// <summary>Requests answered 503 while <see cref="Down"/> (ITI-65 or ITI-67: a retry looks the document up first).</summary>
    public int Refused => _refused;

    private int _refused;

    public IEnumerable<DocumentReference> StoredDocuments => Stored.SelectMany(b => b.Entry).Select(e => e.Resource).OfType<DocumentReference>();

    public void Dispose() => _server.Stop();

    private ResponseMessage Provide(IRequestMessage request)
    {
        if (Down)
        {
            Interlocked.Increment(ref _refused);
            return Answer(HttpStatusCode.ServiceUnavailable, null);
        }

        var bundle = (Bundle)Reader.DeserializeResource(request.Body!);
        Stored.Enqueue(bundle);
        Thread.Sleep(Interlocked.Decrement(ref _slowAnswers) >= 0 ? _slowDelay : AnswerDelay);
        var response = new Bundle { Type = Bundle.BundleType.TransactionResponse };
        foreach (var entry in bundle.Entry)
        {
            response.Entry.Add(new Bundle.EntryComponent
            {
                Response = new Bundle.ResponseComponent { Status = "201 Created", Location = $"{entry.Resource.TypeName}/{Guid.NewGuid():N}/_history/1" },
            });
        }

        return Answer(HttpStatusCode.OK, response);
    }

    private ResponseMessage Find(IRequestMessage request)
    {
        if (Down)
        {
            Interlocked.Increment(ref _refused);
            return Answer(HttpStatusCode.ServiceUnavailable, null);
        }

        var identifier = request.Query!["identifier"].Single();
        var searchset = new Bundle { Type = Bundle.BundleType.Searchset };
        foreach (var document in StoredDocuments.Where(d => d.MasterIdentifier?.Value == identifier || $"{d.MasterIdentifier?.System}|{d.MasterIdentifier?.Value}" == identifier))
        {
            searchset.Entry.Add(new Bundle.EntryComponent { FullUrl = $"{BaseUrl}/DocumentReference/{document.Id}", Resource = document });
        }

        searchset.Total = searchset.Entry.Count;
        return Answer(HttpStatusCode.OK, searchset);
    }

    private static ResponseMessage Answer(HttpStatusCode status, Resource? body)
    {
        var message = new ResponseMessage { StatusCode = (int)status };
        message.AddHeader("Content-Type", "application/fhir+json");
        if (body is not null)
        {
            message.BodyData = new BodyData { BodyAsString = Writer.SerializeToString(body), DetectedBodyType = BodyType.String };
        }

        return message;
    }
}
