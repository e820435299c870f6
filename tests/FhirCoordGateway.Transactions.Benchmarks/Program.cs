// Issue 5 benchmark: a realistic coordination bundle and an ITI-65 with a 200 KB PDF, each as one transaction
// and as the same resources posted one by one, in the same run, against the gateway in process.
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

var connectionString = args.FirstOrDefault() ?? Environment.GetEnvironmentVariable("FHIRCOORD_BENCH_PG")
    ?? throw new ArgumentException("usage: <Npgsql connection string> [clients=4] [seconds=15] [rounds=2]");
var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 15;
var rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2;

// WebApplicationFactory finds the gateway's content root through this variable outside a test project.
for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
{
    if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln")))
    {
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_FHIRCOORDGATEWAY", Path.Combine(dir.FullName, "src", "FhirCoordGateway.Api"));
        break;
    }
}

await using var factory = new WebApplicationFactory<FhirCoordGateway.Api.Http.FhirBase>() // any type of the gateway assembly: its entry point is used
   .WithWebHostBuilder(b =>
{
    b.UseEnvironment("Benchmark");
    b.UseSetting("ConnectionStrings:Fhir", connectionString);
    b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
    b.UseSetting("Serilog:MinimumLevel:Override:Microsoft", "Warning");
    // This benchmark measures transactions; the cost of authorization and audit is FhirCoordGateway.Security.Benchmarks'.
    b.UseSetting("Security:Enabled", "false");
});
var http = factory.CreateClient();
http.Timeout = TimeSpan.FromSeconds(60);
var seq = 0;
var pdf = new byte[200 * 1024];
new Random(20261122).NextBytes(pdf);
"%PDF-1.4\n"u8.CopyTo(pdf);

Console.WriteLine($"clients={clients} measured={seconds}s rounds={rounds} cpus={Environment.ProcessorCount} pdf={pdf.Length} bytes");
var scenarios = new (string Name, Func<int, Task<int>> Transaction, Func<int, Task<int>> OneByOne)[]
{
    ("care set (patient + 2 practitioners + care team + PPS + 3 referrals = 8 resources)", n => Care.TransactionAsync(http, n), n => Care.OneByOneAsync(http, n)),
    ("ITI-65 (SubmissionSet + DocumentReference + 200 KB PDF Binary + INS patient + organization = 5 resources)", n => Iti65.TransactionAsync(http, n, pdf), n => Iti65.OneByOneAsync(http, n, pdf)),
};

// Warm-up of every path (JIT, pools, validator caches).
foreach (var s in scenarios)
{
    await Run(s.Transaction, 3, clients);
    await Run(s.OneByOne, 3, clients);
}

var results = new List<string>();
foreach (var s in scenarios)
{
    for (var round = 1; round <= rounds; round++)
    {
        var tx = await Run(s.Transaction, seconds, clients);
        var one = await Run(s.OneByOne, seconds, clients);
        results.Add($"| {s.Name.Split(' ')[0]} {(s.Name.StartsWith("ITI") ? "" : "set")} | {round} | transaction | {tx.Rate:0.0} | {tx.P50:0} | {tx.P95:0} | {tx.Requests} | {tx.Errors} |");
        results.Add($"| {s.Name.Split(' ')[0]} {(s.Name.StartsWith("ITI") ? "" : "set")} | {round} | one by one | {one.Rate:0.0} | {one.P50:0} | {one.P95:0} | {one.Requests} | {one.Errors} |");
        Console.WriteLine($"{s.Name} round {round}: transaction {tx}; one by one {one}; throughput ratio {tx.Rate / one.Rate:0.00}x, p95 ratio {tx.P95 / one.P95:0.00}x");
    }
}

Console.WriteLine();
Console.WriteLine("| scenario | round | mode | sets/s | p50 ms | p95 ms | HTTP requests | errors |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");
results.ForEach(Console.WriteLine);
return 0;

async Task<Result> Run(Func<int, Task<int>> operation, int durationSeconds, int concurrency)
{
    var latencies = new List<double>();
    var requests = 0;
    var errors = 0;
    var clock = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(durationSeconds);
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (clock.Elapsed < end)
        {
            var n = Interlocked.Increment(ref seq);
            var start = Stopwatch.GetTimestamp();
            try
            {
                var sent = await operation(n);
                lock (latencies)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    requests += sent;
                }
            }
            catch (HttpRequestException e)
            {
                if (Interlocked.Increment(ref errors) <= 3)
                {
                    Console.Error.WriteLine(e.Message);
                }
            }
        }
    }));
    var elapsed = clock.Elapsed.TotalSeconds;
    latencies.Sort();
    double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
    return new Result(latencies.Count / elapsed, P(0.50), P(0.95), requests, errors);
}

internal sealed record Result(double Rate, double P50, double P95, int Requests, int Errors)
{
    public override string ToString() => $"{Rate:0.0} sets/s, p50 {P50:0} ms, p95 {P95:0} ms";
}

/// <summary>JSON in and out, and the few request shapes the scenarios need.</summary>
internal static partial class Wire
{
    private static readonly FhirJsonDeserializer Reader = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    /// <summary>R4 JSON (the SDK 6.8 serializer writes Attachment.size as a string; R4 wants a number).</summary>
    public static string Json(Resource r) => SizeAsString().Replace(FhirJsonSerializer.Default.SerializeToString(r), "\"size\":$1");

    public static async Task<string> PostAsync(HttpClient http, string path, Resource resource, int expected)
    {
        using var content = new StringContent(Json(resource), Encoding.UTF8, "application/fhir+json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("Prefer", "return=minimal");
        using var response = await http.SendAsync(request);
        if ((int)response.StatusCode != expected)
        {
            throw new HttpRequestException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // Location: .../Type/id/_history/1
        var location = response.Headers.Location?.ToString() ?? string.Empty;
        var parts = location.Split('/');
        return parts.Length >= 4 ? $"{parts[^4]}/{parts[^3]}" : string.Empty;
    }

    public static Task TransactionAsync(HttpClient http, Bundle bundle) => PostAsync(http, "/fhir", bundle, 200);

    public static Bundle.EntryComponent Post(Resource r, string urn) =>
        new() { FullUrl = urn, Resource = r, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = r.TypeName } };

    public static string Urn() => "urn:uuid:" + Guid.NewGuid();

    [GeneratedRegex("\"size\":\"(\\d+)\"")]
    private static partial Regex SizeAsString();
}

/// <summary>Patient, 2 practitioners, care team, PPS CarePlan and 3 referral ServiceRequests.</summary>
internal static class Care
{
    public static async Task<int> TransactionAsync(HttpClient http, int n)
    {
        var (pat, gp, cardio, team) = (Wire.Urn(), Wire.Urn(), Wire.Urn(), Wire.Urn());
        var referrals = Enumerable.Range(0, 3).Select(_ => Wire.Urn()).ToArray();
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        bundle.Entry.Add(Wire.Post(Patient(n), pat));
        bundle.Entry.Add(Wire.Post(Practitioner(n, 1, "Bernard"), gp));
        bundle.Entry.Add(Wire.Post(Practitioner(n, 2, "Rousseau"), cardio));
        bundle.Entry.Add(Wire.Post(CareTeam(pat, gp, cardio), team));
        for (var i = 0; i < 3; i++)
        {
            bundle.Entry.Add(Wire.Post(Referral(n, i, pat, gp, cardio), referrals[i]));
        }

        bundle.Entry.Add(Wire.Post(CarePlan(pat, gp, team, referrals), Wire.Urn()));
        await Wire.TransactionAsync(http, bundle);
        return 1;
    }

    public static async Task<int> OneByOneAsync(HttpClient http, int n)
    {
        var pat = await Wire.PostAsync(http, "/fhir/Patient", Patient(n), 201);
        var gp = await Wire.PostAsync(http, "/fhir/Practitioner", Practitioner(n, 1, "Bernard"), 201);
        var cardio = await Wire.PostAsync(http, "/fhir/Practitioner", Practitioner(n, 2, "Rousseau"), 201);
        var team = await Wire.PostAsync(http, "/fhir/CareTeam", CareTeam(pat, gp, cardio), 201);
        var referrals = new string[3];
        for (var i = 0; i < 3; i++)
        {
            referrals[i] = await Wire.PostAsync(http, "/fhir/ServiceRequest", Referral(n, i, pat, gp, cardio), 201);
        }

        await Wire.PostAsync(http, "/fhir/CarePlan", CarePlan(pat, gp, team, referrals), 201);
        return 8;
    }

    private static Patient Patient(int n) => new()
    {
        Identifier = [new Identifier("urn:oid:1.2.250.1.71.4.2.7.999", $"bench-tx-{n}-{Guid.NewGuid():N}")],
        Name = [new HumanName { Family = "Martin", Given = ["Camille"] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1948-03-12",
        Address = [new Address { Line = ["12 rue des Lilas"], City = "Lyon", PostalCode = "69003", Country = "FRA" }],
        Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Home, "+33 4 78 00 00 00")],
    };

    private static Practitioner Practitioner(int n, int k, string family) => new()
    {
        Identifier = [new Identifier("urn:test:bench-practitioner", $"{n}-{k}")],
        Name = [new HumanName { Family = family, Given = ["Alice"], Prefix = ["Dr"] }],
        Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Email, null, $"{family.ToLowerInvariant()}@exemple.mssante.fr")],
    };

    private static CareTeam CareTeam(string pat, string gp, string cardio) => new()
    {
        Status = Hl7.Fhir.Model.CareTeam.CareTeamStatus.Active,
        Name = "Équipe de soins primaires",
        Subject = new ResourceReference(pat),
        Participant =
        [
            new Hl7.Fhir.Model.CareTeam.ParticipantComponent { Member = new ResourceReference(gp), Role = [new CodeableConcept("http://snomed.info/sct", "62247001", "General practitioner")] },
            new Hl7.Fhir.Model.CareTeam.ParticipantComponent { Member = new ResourceReference(cardio), Role = [new CodeableConcept("http://snomed.info/sct", "17561000", "Cardiologist")] },
        ],
    };

    private static ServiceRequest Referral(int n, int i, string pat, string gp, string cardio) => new()
    {
        Identifier = [new Identifier("urn:test:bench-referral", $"{n}-{i}")],
        Status = RequestStatus.Active,
        Intent = RequestIntent.Order,
        Code = new CodeableConcept("http://snomed.info/sct", "3457005", "Patient referral"),
        Subject = new ResourceReference(pat),
        Requester = new ResourceReference(gp),
        Performer = [new ResourceReference(cardio)],
        AuthoredOn = "2026-11-22",
        Note = [new Annotation { Text = new Markdown($"Adressage {i + 1}: avis spécialisé, bilan et suivi.") }],
    };

    private static CarePlan CarePlan(string pat, string gp, string team, string[] referrals) => new()
    {
        Status = RequestStatus.Active,
        Intent = Hl7.Fhir.Model.CarePlan.CarePlanIntent.Plan,
        Title = "Plan personnalisé de santé",
        Subject = new ResourceReference(pat),
        Author = new ResourceReference(gp),
        CareTeam = [new ResourceReference(team)],
        Period = new Period { Start = "2026-11-22", End = "2027-05-22" },
        Activity = referrals.Select(r => new Hl7.Fhir.Model.CarePlan.ActivityComponent { Reference = new ResourceReference(r) }).ToList(),
    };
}

/// <summary>ITI-65 Provide Document Bundle with a 200 KB PDF; the one-by-one run posts the same five resources.</summary>
internal static class Iti65
{
    private static readonly string ProfilesDirectory = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "profiles", "examples")))
            {
                return Path.Combine(dir.FullName, "profiles", "examples");
            }
        }

        throw new InvalidOperationException("profiles/examples not found");
    }

    private static readonly string PatientJson = File.ReadAllText(Path.Combine(ProfilesDirectory, "fhircoord-patient-ins", "valid-lefebvre-qualified-nir.json"));
    private static readonly string DocumentJson = File.ReadAllText(Path.Combine(ProfilesDirectory, "fhircoord-documentreference-crh", "valid-crh-cardiologie.json"));
    private static readonly FhirJsonDeserializer Reader = new();

    public static async Task<int> TransactionAsync(HttpClient http, int n, byte[] pdf)
    {
        var (list, doc, bin, pat, org) = (Wire.Urn(), Wire.Urn(), Wire.Urn(), Wire.Urn(), Wire.Urn());
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        bundle.Entry.Add(Wire.Post(SubmissionSet(pat, doc), list));
        bundle.Entry.Add(Wire.Post(Document(n, pat, org, bin, pdf), doc));
        bundle.Entry.Add(Wire.Post(new Binary { ContentType = "application/pdf", Data = pdf }, bin));
        bundle.Entry.Add(Wire.Post(Patient(n), pat));
        bundle.Entry.Add(Wire.Post(new Organization { Name = "Hôpital Saint-Exemple" }, org));
        await Wire.TransactionAsync(http, bundle);
        return 1;
    }

    public static async Task<int> OneByOneAsync(HttpClient http, int n, byte[] pdf)
    {
        var pat = await Wire.PostAsync(http, "/fhir/Patient", Patient(n), 201);
        var org = await Wire.PostAsync(http, "/fhir/Organization", new Organization { Name = "Hôpital Saint-Exemple" }, 201);
        var bin = await Wire.PostAsync(http, "/fhir/Binary", new Binary { ContentType = "application/pdf", Data = pdf }, 201);
        var doc = await Wire.PostAsync(http, "/fhir/DocumentReference", Document(n, pat, org, bin, pdf), 201);
        await Wire.PostAsync(http, "/fhir/List", SubmissionSet(pat, doc), 201);
        return 5;
    }

    /// <summary>The qualified INS-NIR example with a NIR of its own (valid key), without the extension the validator currently refuses.</summary>
    private static Patient Patient(int n)
    {
        var patient = Reader.Deserialize<Patient>(PatientJson);
        patient.Id = null;
        patient.Meta = null;
        patient.GeneralPractitioner.Clear();
        patient.ManagingOrganization = null;
        patient.Name.ForEach(name => name.Extension.Clear());
        var body = $"2{48 + n % 50:00}{1 + n % 12:00}{10 + n % 80:00}{n / 1000 % 1000:000}{n % 1000:000}";
        patient.Identifier.RemoveAll(i => i.System != "urn:oid:1.2.250.1.213.1.4.8");
        patient.Identifier[0].Value = body + (97 - long.Parse(body, CultureInfo.InvariantCulture) % 97).ToString("00", CultureInfo.InvariantCulture);
        return patient;
    }

    private static DocumentReference Document(int n, string pat, string org, string bin, byte[] pdf)
    {
        var document = Reader.Deserialize<DocumentReference>(DocumentJson);
        document.Id = null;
        document.Text = null;
        document.MasterIdentifier = new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + Guid.NewGuid());
        document.Subject = new ResourceReference(pat);
        document.Context.SourcePatientInfo = new ResourceReference(pat);
        document.Custodian = new ResourceReference(org);
        document.Author = [new ResourceReference(org)];
        document.Content[0].Attachment.Url = bin;
        document.Content[0].Attachment.Size = pdf.Length;
        document.Content[0].Attachment.Hash = SHA1.HashData(pdf);
        return document;
    }

    private static List SubmissionSet(string pat, string doc) => new()
    {
        Status = List.ListStatus.Current,
        Mode = ListMode.Working,
        Code = new CodeableConcept("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "submissionset"),
        Identifier = [new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + Guid.NewGuid())],
        Subject = new ResourceReference(pat),
        Date = "2026-11-22T10:00:00+01:00",
        Entry = [new List.EntryComponent { Item = new ResourceReference(doc) }],
    };
}
