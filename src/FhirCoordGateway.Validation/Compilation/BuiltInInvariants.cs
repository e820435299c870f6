using System.Xml;
using Hl7.Fhir.Model;
using FhirDateTime = Hl7.Fhir.ElementModel.Types.DateTime;

namespace FhirCoordGateway.Validation.Compilation;

/// <summary>
/// C# versions of the core invariants that run on nearly every resource (dom-*, ref-1, per-1, txt-1/2, ...).
/// On this SDK one FHIRPath predicate costs 20–80 µs (a ref-1 per Reference would cost more than the parse);
/// these cost well under 1 µs. Used only when both the key and the expression text are the published R4 ones
/// (or our ref-1 correction), so a profile that redefines a key keeps its own FHIRPath. Returning null means
/// "not decided here": the FHIRPath expression is evaluated instead.
/// </summary>
internal static class BuiltInInvariants
{
    /// <summary>Evaluates one invariant on <paramref name="item"/>; resource/root are FHIRPath's %resource/%rootResource.</summary>
    public delegate bool? Check(Base item, Resource resource, Resource rootResource);

    private static readonly Dictionary<(string Key, string Expression), Check> Table = new()
    {
        [("dom-2", "contained.contained.empty()")] = (item, _, _) =>
            Contained(item) is not { } c || c.All(r => r is not DomainResource { Contained.Count: > 0 }),
        // dom-3 only needs FHIRPath when there is something contained.
        [("dom-3", "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | %resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()")] =
            (item, _, _) => Contained(item) is { Count: > 0 } ? null : true,
        [("dom-3", "contained.where(((id.exists() and ('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | %resource.descendants().as(uri) | %resource.descendants().as(url)))) or descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(uri) = '#').exists()).not()).trace('unmatched', id).empty()")] =
            (item, _, _) => Contained(item) is { Count: > 0 } ? null : true,
        [("dom-4", "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()")] = (item, _, _) =>
            Contained(item) is not { } c || c.All(r => r.Meta?.VersionId is null && r.Meta?.LastUpdated is null),
        [("dom-5", "contained.meta.security.empty()")] = (item, _, _) =>
            Contained(item) is not { } c || c.All(r => r.Meta is null || r.Meta.Security.Count == 0),
        [("dom-6", "text.`div`.exists()")] = (item, _, _) =>
            item is not DomainResource dr || !string.IsNullOrEmpty(dr.Text?.Div),
        [("ref-1", "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))")] = RefOne,
        [("per-1", "start.hasValue().not() or end.hasValue().not() or (start <= end)")] = PeriodOrder,
        // Declared on Narrative.div: the item is the xhtml value.
        [("txt-1", "htmlChecks()")] = (item, _, _) => item is XHtml x ? NarrativeXhtml.Check(x.Value).WellFormedAndAllowed : null,
        [("txt-2", "htmlChecks()")] = (item, _, _) => item is XHtml x ? NarrativeXhtml.Check(x.Value).HasContent : null,
        [("cpt-2", "value.empty() or system.exists()")] = (item, _, _) =>
            item is ContactPoint cp ? cp.Value is null || cp.System is not null : null,
        [("qty-3", "code.empty() or system.exists()")] = (item, _, _) =>
            item is Quantity q ? q.Code is null || q.System is not null : null,
        [("cpl-3", "detail.empty() or reference.empty()")] = (item, _, _) =>
            item is CarePlan.ActivityComponent a ? a.Detail is null || a.Reference is null : null,
        [("pat-1", "name.exists() or telecom.exists() or address.exists() or organization.exists()")] = (item, _, _) =>
            item is Patient.ContactComponent c ? c.Name is not null || c.Telecom.Count > 0 || c.Address is not null || c.Organization is not null : null,
        [("att-1", "data.empty() or contentType.exists()")] = (item, _, _) =>
            item is Attachment a ? a.Data is null || a.ContentType is not null : null,
    };

    public static Check? Find(string key, string publishedExpression) =>
        Table.TryGetValue((key, publishedExpression), out var check) ? check : null;

    private static List<Resource>? Contained(Base item) => item is DomainResource dr ? dr.Contained : null;

    /// <summary>ref-1 with our correction: "#" alone may point from a contained resource to its container.</summary>
    private static bool? RefOne(Base item, Resource resource, Resource root)
    {
        if (item is not ResourceReference { Reference: { } reference } || !reference.StartsWith('#')) return true;
        if (reference.Length == 1) return !ReferenceEquals(resource, root);
        var id = reference[1..];
        return root is DomainResource dr && dr.Contained.Any(c => c.Id == id);
    }

    private static bool? PeriodOrder(Base item, Resource resource, Resource root)
    {
        if (item is not Period p) return null;
        if (p.Start is not { } start || p.End is not { } end) return true;
        if (!FhirDateTime.TryParse(start, out var s) || !FhirDateTime.TryParse(end, out var e)) return null;
        // Different precisions may be incomparable: FHIRPath's <= is then empty, which is not a failure.
        return !s.TryCompareTo(e, out var order) || order is null || order <= 0;
    }
}

/// <summary>
/// R4 narrative rules (txt-1, txt-2): well-formed XHTML rooted in an xhtml div, only the basic formatting
/// elements, no event-handler attributes or scripts, and some non-whitespace content (text or an image).
/// </summary>
internal static class NarrativeXhtml
{
    private static readonly HashSet<string> AllowedElements =
    [
        "a", "abbr", "acronym", "b", "big", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "dfn",
        "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "q", "samp",
        "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "ul", "var",
    ];

    private const string XhtmlNamespace = "http://www.w3.org/1999/xhtml";

    public static (bool WellFormedAndAllowed, bool HasContent) Check(string? div)
    {
        if (string.IsNullOrEmpty(div)) return (false, false);
        bool allowed = true, content = false, first = true;
        try
        {
            using var reader = XmlReader.Create(new StringReader(div), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        if (first && (reader.LocalName != "div" || reader.NamespaceURI != XhtmlNamespace)) allowed = false;
                        first = false;
                        if (reader.NamespaceURI != XhtmlNamespace || !AllowedElements.Contains(reader.LocalName)) allowed = false;
                        if (reader.LocalName == "img") content = true;
                        if (reader.MoveToFirstAttribute())
                        {
                            do
                            {
                                if (reader.LocalName.StartsWith("on", StringComparison.OrdinalIgnoreCase)) allowed = false;
                                if (reader.LocalName is "href" or "src" && reader.Value.TrimStart().StartsWith("javascript:", StringComparison.OrdinalIgnoreCase)) allowed = false;
                            }
                            while (reader.MoveToNextAttribute());
                            reader.MoveToElement();
                        }
                        break;
                    case XmlNodeType.Text:
                    case XmlNodeType.CDATA:
                        if (!string.IsNullOrWhiteSpace(reader.Value)) content = true;
                        break;
                }
            }
        }
        catch (XmlException)
        {
            return (false, content);
        }
        return (allowed && !first, content);
    }
}
