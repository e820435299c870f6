using System.Security.Claims;
using FhirCoordGateway.Core.Search;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// The restriction of <see cref="ISearchRestrictionSource"/> reaches every search entry point over HTTP: type
/// search (and its count), system search with <c>_type</c>, compartment search and <c>Patient/$everything</c>.
/// </summary>
public sealed class SearchRestrictionEndToEndTests
{
    private sealed class FixedRestriction : ISearchRestrictionSource
    {
        public SearchRestriction? Value { get; set; }

        public ValueTask<SearchRestriction?> ForAsync(ClaimsPrincipal user, CancellationToken ct) => ValueTask.FromResult(Value);
    }

    private static CarePlan PlanFor(string patientId) => new()
    {
        Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/" + patientId),
    };

    [Fact]
    public async Task GivenPatientCompartmentRestriction_WhenSearchingThroughEveryEntryPoint_ThenAnotherPatientsDataNeverComesBack()
    {
        var restriction = new FixedRestriction();
        using var factory = GatewayFactory.With(s => s.AddSingleton<ISearchRestrictionSource>(restriction));
        var client = new FhirClient(new Uri(factory.Server.BaseAddress, "fhir"), factory.CreateClient());
        var a = (await client.CreateAsync(TestData.Patient()))!.Id;
        var b = (await client.CreateAsync(TestData.Patient()))!.Id;
        var planA = (await client.CreateAsync(PlanFor(a)))!.Id;
        var planB = (await client.CreateAsync(PlanFor(b)))!.Id;
        var http = factory.CreateClient();

        // Unrestricted first, so that each restricted assertion below can fail.
        Assert.Equal([planA, planB], await IdsAsync(http, $"/fhir/CarePlan?_id={planA},{planB}"));
        Assert.Equal([b, planB], await IdsAsync(http, $"/fhir/Patient/{b}/$everything"));

        restriction.Value = SearchRestriction.Compartment("Patient", a);
        Assert.Equal([planA], await IdsAsync(http, $"/fhir/CarePlan?_id={planA},{planB}"));
        Assert.Equal(1, (await BundleAsync(http, $"/fhir/CarePlan?_id={planA},{planB}&_summary=count")).Total);
        Assert.Equal([planA], await IdsAsync(http, $"/fhir/CarePlan/_search", $"_id={planA},{planB}"));
        Assert.Equal([a, planA], await IdsAsync(http, $"/fhir?_type=Patient,CarePlan&_id={a},{b},{planA},{planB}"));
        Assert.Empty(await IdsAsync(http, $"/fhir/Patient/{b}/CarePlan"));
        Assert.Equal([planA], await IdsAsync(http, $"/fhir/Patient/{a}/CarePlan"));
        Assert.Empty(await IdsAsync(http, $"/fhir/Patient/{b}/$everything"));
        Assert.Equal([a, planA], await IdsAsync(http, $"/fhir/Patient/{a}/$everything"));
        Assert.Equal([a], await IdsAsync(http, $"/fhir/CarePlan?_id={planA},{planB}&_include=CarePlan:subject", mode: Bundle.SearchEntryMode.Include));
    }

    private static async Task<List<string>> IdsAsync(HttpClient http, string url, string? form = null, Bundle.SearchEntryMode mode = Bundle.SearchEntryMode.Match) =>
        (await BundleAsync(http, url, form)).Entry.Where(e => e.Search?.Mode == mode).Select(e => e.Resource!.Id).ToList();

    private static async Task<Bundle> BundleAsync(HttpClient http, string url, string? form = null)
    {
        using var response = form is null
            ? await http.GetAsync(url)
            : await http.PostAsync(url, new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return (Bundle)new FhirJsonDeserializer().DeserializeResource(body);
    }
}
