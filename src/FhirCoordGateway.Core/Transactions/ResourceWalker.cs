using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Transactions;

/// <summary>
/// Visits every element of a resource (contained resources included) with its FHIRPath-like location,
/// e.g. <c>Observation.subject</c> or <c>Composition.section[1].entry[0]</c>.
/// </summary>
public static class ResourceWalker
{
    public static void Walk(Base root, string rootPath, Action<Base, string> visit)
    {
        visit(root, rootPath);
        foreach (var (name, value) in root.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    Walk(child, $"{rootPath}.{name}", visit);
                    break;
                case IReadOnlyList<Base> list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        Walk(list[i], $"{rootPath}.{name}[{i}]", visit);
                    }

                    break;
            }
        }
    }
}
