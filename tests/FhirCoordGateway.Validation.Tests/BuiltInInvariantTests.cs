using FhirCoordGateway.Validation.Compilation;
using FhirCoordGateway.Validation.CoreDefinitions;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>
/// The C# versions of core invariants must agree with the SDK's FHIRPath evaluation of the published expression,
/// on passing and failing inputs (ref-1 is compared against our corrected expression).
/// </summary>
public class BuiltInInvariantTests
{
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    private static Dictionary<string, string> CoreExpressions()
    {
        var result = new Dictionary<string, string>();
        foreach (var type in new[] { "DomainResource", "Reference", "Period", "Narrative", "ContactPoint", "Quantity", "Attachment", "CarePlan", "Patient" })
        {
            var sd = (StructureDefinition)CoreDefinitionSource.Shared.Resolve("http://hl7.org/fhir/StructureDefinition/" + type)!;
            foreach (var c in sd.Snapshot!.Element.SelectMany(e => e.Constraint)) result.TryAdd(c.Key!, c.Expression!);
        }
        return result;
    }

    public static IEnumerable<object[]> Cases()
    {
        var contained = new Practitioner { Id = "pr1" };
        var withContained = new Observation { Id = "o", Contained = [contained] };
        var nested = new Observation { Id = "o", Contained = [new Practitioner { Id = "p", Contained = [new Organization { Id = "x" }] }] };
        var versioned = new Observation { Id = "o", Contained = [new Practitioner { Id = "p", Meta = new Meta { VersionId = "1" } }] };
        var secured = new Observation { Id = "o", Contained = [new Practitioner { Id = "p", Meta = new Meta { Security = [new Coding("s", "c")] } }] };
        yield return ["dom-2", new Observation { Id = "o" }, null!];
        yield return ["dom-2", nested, null!];
        yield return ["dom-4", versioned, null!];
        yield return ["dom-4", withContained, null!];
        yield return ["dom-5", secured, null!];
        yield return ["dom-5", withContained, null!];
        yield return ["dom-6", new Observation { Id = "o" }, null!];
        yield return ["dom-6", new Observation { Id = "o", Text = new Narrative { Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" } }, null!];
        yield return ["ref-1", new ResourceReference("#pr1"), withContained];
        yield return ["ref-1", new ResourceReference("#nope"), withContained];
        yield return ["ref-1", new ResourceReference("Patient/1"), withContained];
        yield return ["per-1", new Period { Start = "2024-01-01", End = "2024-02-01" }, null!];
        yield return ["per-1", new Period { Start = "2024-03-01", End = "2024-02-01" }, null!];
        yield return ["per-1", new Period { Start = "2024-03-01T10:00:00Z", End = "2024-03-01T09:00:00Z" }, null!];
        yield return ["per-1", new Period { Start = "2024-03-01" }, null!];
        yield return ["cpt-2", new ContactPoint { Value = "x" }, null!];
        yield return ["cpt-2", new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "x"), null!];
        yield return ["qty-3", new Quantity { Code = "kg" }, null!];
        yield return ["qty-3", new Quantity { Code = "kg", System = "http://unitsofmeasure.org" }, null!];
        yield return ["cpl-3", new CarePlan.ActivityComponent { Reference = new ResourceReference("ServiceRequest/1"), Detail = new CarePlan.DetailComponent() }, null!];
        yield return ["cpl-3", new CarePlan.ActivityComponent { Reference = new ResourceReference("ServiceRequest/1") }, null!];
        yield return ["pat-1", new Patient.ContactComponent { Gender = AdministrativeGender.Male }, null!];
        yield return ["pat-1", new Patient.ContactComponent { Telecom = [new ContactPoint { Value = "x" }] }, null!];
        yield return ["att-1", new Attachment { Data = [1, 2] }, null!];
        yield return ["att-1", new Attachment { Data = [1, 2], ContentType = "image/png" }, null!];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GivenInput_WhenEvaluatingBuiltIn_ThenSameVerdictAsFhirPath(string key, Base item, Resource? container)
    {
        var expression = CoreExpressions()[key];
        var builtIn = BuiltInInvariants.Find(key, expression);
        Assert.NotNull(builtIn);
        var resource = container ?? item as Resource ?? new Basic();
        var evaluated = key == "ref-1" ? ConstraintCorrections.Correct(key, expression) : expression;

        var ctx = new FhirEvaluationContext().WithResourceOverrides(resource.ToPocoNode(), resource.ToPocoNode());
        bool expected = Compiler.Compile(evaluated).Predicate(item.ToPocoNode(), ctx);
        var actual = builtIn!(item, resource, resource);

        Assert.Equal(expected, actual ?? expected);
    }

    [Theory]
    [InlineData("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Texte <b>gras</b></p></div>", true, true)]
    [InlineData("<div xmlns=\"http://www.w3.org/1999/xhtml\"><img src=\"#a\"/></div>", true, true)]
    [InlineData("<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script></div>", false, true)]
    [InlineData("<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"javascript:x()\">a</a></div>", false, true)]
    [InlineData("<div><p>no namespace</p></div>", false, true)]
    [InlineData("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>unclosed</div>", false, true)]
    [InlineData("<div xmlns=\"http://www.w3.org/1999/xhtml\">  </div>", true, false)]
    public void GivenNarrative_WhenChecking_ThenAllowedMarkupAndContentAreRecognised(string div, bool allowed, bool content)
    {
        var (isAllowed, hasContent) = NarrativeXhtml.Check(div);
        Assert.Equal(allowed, isAllowed);
        Assert.Equal(content, hasContent);
    }
}
