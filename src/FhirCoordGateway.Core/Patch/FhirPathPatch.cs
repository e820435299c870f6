using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Patch;

/// <summary>
/// FHIRPath Patch: a Parameters resource whose <c>operation</c> parameters add, insert, delete, replace
/// or move elements of the resource, applied in order to its object model.
/// https://hl7.org/fhir/R4/fhirpatch.html
/// A Parameters that is not a well-formed patch answers 400; an operation that does not fit the resource
/// (a path that selects nothing or several elements, a value of the wrong type) answers 422.
/// </summary>
public static class FhirPathPatch
{
    /// <summary>Checks the shape of the operations (400 when malformed).</summary>
    public static void Check(Parameters patch)
    {
        if (patch.Parameter.Count == 0)
        {
            throw JsonPatch.Malformed("A FHIRPath Patch needs at least one 'operation' parameter.");
        }

        for (var i = 0; i < patch.Parameter.Count; i++)
        {
            var op = patch.Parameter[i];
            if (op.Name != "operation")
            {
                throw Malformed(i, $"parameter '{op.Name}' is not 'operation'.");
            }

            var type = Part(op, "type")?.Value?.ToString();
            var required = type switch
            {
                "add" => new[] { "path", "name", "value" },
                "insert" => ["path", "value", "index"],
                "delete" => ["path"],
                "replace" => ["path", "value"],
                "move" => ["path", "source", "destination"],
                _ => throw Malformed(i, $"type must be add, insert, delete, replace or move, not '{type}'."),
            };
            foreach (var name in required.Where(n => Part(op, n) is null))
            {
                throw Malformed(i, $"{type} needs a '{name}' part.");
            }
        }
    }

    public static void Apply(Resource resource, Parameters patch)
    {
        Check(patch);
        for (var i = 0; i < patch.Parameter.Count; i++)
        {
            var op = patch.Parameter[i];
            var path = Part(op, "path")!.Value?.ToString() ?? throw Malformed(i, "path must be a string.");
            switch (Part(op, "type")!.Value!.ToString())
            {
                case "add":
                    Add(resource, i, path, Part(op, "name")!.Value?.ToString() ?? throw Malformed(i, "name must be a string."), Part(op, "value")!);
                    break;
                case "insert":
                    Insert(resource, i, path, Index(op, "index", i), Part(op, "value")!);
                    break;
                case "delete":
                    Delete(resource, i, path);
                    break;
                case "replace":
                    Replace(resource, i, path, Part(op, "value")!);
                    break;
                case "move":
                    Move(resource, i, path, Index(op, "source", i), Index(op, "destination", i));
                    break;
            }
        }
    }

    private static void Add(Resource resource, int i, string path, string name, Parameters.ParameterComponent valuePart)
    {
        var container = Single(resource, i, path);
        var property = Property(container, name, i);
        var value = Value(valuePart, property, i);
        if (property.IsCollection)
        {
            var list = Items(container, name);
            list.Add(value);
            SetList(container, name, list, i);
        }
        else if (container.TryGetValue(name, out _))
        {
            throw Unapplicable(i, $"{path}.{name} already has a value; use replace.");
        }
        else
        {
            Set(container, name, value, i);
        }
    }

    private static void Insert(Resource resource, int i, string path, int index, Parameters.ParameterComponent valuePart)
    {
        var (container, name) = ListOwner(resource, i, path);
        var list = Items(container, name);
        if (index < 0 || index > list.Count)
        {
            throw Unapplicable(i, $"index {index} is outside {path} (0..{list.Count}).");
        }

        list.Insert(index, Value(valuePart, Property(container, name, i), i));
        SetList(container, name, list, i);
    }

    private static void Delete(Resource resource, int i, string path)
    {
        var targets = Select(resource, i, path);
        if (targets.Count == 0)
        {
            return; // deleting nothing is not an error (fhirpatch.html#delete)
        }

        if (targets.Count > 1)
        {
            throw Unapplicable(i, $"{path} selects {targets.Count} elements; delete takes one.");
        }

        var (parent, name, index) = Parent(resource, targets[0], i, path);
        if (index is { } n)
        {
            var list = Items(parent, name);
            list.RemoveAt(n);
            SetList(parent, name, list, i);
        }
        else
        {
            Set(parent, name, null, i);
        }
    }

    private static void Replace(Resource resource, int i, string path, Parameters.ParameterComponent valuePart)
    {
        var target = Single(resource, i, path);
        var (parent, name, index) = Parent(resource, target, i, path);
        var value = Value(valuePart, Property(parent, name, i), i);
        if (index is { } n)
        {
            var list = Items(parent, name);
            list[n] = value;
            SetList(parent, name, list, i);
        }
        else
        {
            Set(parent, name, value, i);
        }
    }

    private static void Move(Resource resource, int i, string path, int source, int destination)
    {
        var (container, name) = ListOwner(resource, i, path);
        var list = Items(container, name);
        if (source < 0 || source >= list.Count || destination < 0 || destination >= list.Count)
        {
            throw Unapplicable(i, $"source {source} or destination {destination} is outside {path} (0..{list.Count - 1}).");
        }

        var item = list[source];
        list.RemoveAt(source);
        list.Insert(destination, item);
        SetList(container, name, list, i);
    }

    /// <summary>For insert and move the path names a list: <c>Patient.identifier</c> is list <c>identifier</c> of <c>Patient</c>.</summary>
    private static (Base Container, string Name) ListOwner(Resource resource, int i, string path)
    {
        var dot = path.LastIndexOf('.');
        var name = dot < 0 ? string.Empty : path[(dot + 1)..];
        if (dot < 0 || name.Length == 0 || !name.All(char.IsAsciiLetterOrDigit))
        {
            throw Malformed(i, $"path '{path}' must end with the name of a list element.");
        }

        var container = Single(resource, i, path[..dot]);
        if (!Property(container, name, i).IsCollection)
        {
            throw Unapplicable(i, $"{path} is not a list.");
        }

        return (container, name);
    }

    private static Base Single(Resource resource, int i, string path)
    {
        var found = Select(resource, i, path);
        return found.Count == 1 ? found[0] : throw Unapplicable(i, $"{path} selects {found.Count} elements; exactly one is needed.");
    }

    private static List<Base> Select(Resource resource, int i, string path)
    {
        try
        {
            return resource.Select(path, new FhirEvaluationContext()).OfType<Base>().ToList();
        }
        catch (Exception e) when (e is not FhirOutcomeException)
        {
            throw Malformed(i, $"path '{path}' is not a FHIRPath expression this server can evaluate.");
        }
    }

    /// <summary>The element that holds <paramref name="target"/>, under which name and (for lists) at which index.</summary>
    private static (Base Parent, string Name, int? Index) Parent(Resource resource, Base target, int i, string path)
    {
        (Base, string, int?)? found = null;
        void Visit(Base node)
        {
            foreach (var (name, value) in node.EnumerateElements())
            {
                if (found is not null)
                {
                    return;
                }

                switch (value)
                {
                    case Base child when ReferenceEquals(child, target):
                        found = (node, name, null);
                        return;
                    case Base child:
                        Visit(child);
                        break;
                    case IReadOnlyList<Base> list:
                        for (var n = 0; n < list.Count && found is null; n++)
                        {
                            if (ReferenceEquals(list[n], target))
                            {
                                found = (node, name, n);
                            }
                            else
                            {
                                Visit(list[n]);
                            }
                        }

                        break;
                }
            }
        }

        Visit(resource);
        return found ?? throw Unapplicable(i, $"{path} selects the resource itself or a computed value, which cannot be changed.");
    }

    private static PropertyMapping Property(Base container, string name, int i) =>
        ModelInfo.ModelInspector.FindClassMapping(container.GetType())?.FindMappedElementByName(name)
        ?? throw Unapplicable(i, $"{container.TypeName} has no element '{name}'.");

    private static List<Base> Items(Base container, string name) =>
        container.TryGetValue(name, out var value) && value is IReadOnlyList<Base> list ? list.ToList() : [];

    /// <summary>A list goes back into the POCO as the property's own list type (List&lt;Identifier&gt;, ...).</summary>
    private static void SetList(Base container, string name, List<Base> items, int i)
    {
        var itemType = Property(container, name, i).ImplementingType;
        var typed = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(itemType))!;
        foreach (var item in items)
        {
            if (!itemType.IsInstanceOfType(item))
            {
                throw Unapplicable(i, $"a {item.TypeName} does not fit {container.TypeName}.{name}.");
            }

            typed.Add(item);
        }

        Set(container, name, typed, i);
    }

    private static void Set(Base container, string name, object? value, int i)
    {
        if (value is Base single && !Property(container, name, i).ImplementingType.IsInstanceOfType(single))
        {
            throw Unapplicable(i, $"a {single.TypeName} does not fit {container.TypeName}.{name}.");
        }

        try
        {
            container.SetValue(name, value);
        }
        catch (Exception e) when (e is InvalidCastException or ArgumentException)
        {
            throw Unapplicable(i, $"the value does not fit {container.TypeName}.{name}.");
        }
    }

    /// <summary>The value of an operation: <c>value[x]</c>, a resource, or parts naming the children of a complex value.</summary>
    private static Base Value(Parameters.ParameterComponent part, PropertyMapping property, int i)
    {
        if (part.Value is { } value)
        {
            return Coerce(value, property);
        }

        if (part.Resource is { } resource)
        {
            return resource;
        }

        if (part.Part.Count == 0 || property.PropertyTypeMapping is not { IsPrimitive: false } mapping)
        {
            throw Malformed(i, "the value part needs value[x], a resource or parts.");
        }

        var instance = (Base)mapping.CreateInstance();
        foreach (var child in part.Part)
        {
            var childProperty = mapping.FindMappedElementByName(child.Name ?? string.Empty) ?? throw Unapplicable(i, $"{mapping.Name} has no element '{child.Name}'.");
            var childValue = Value(child, childProperty, i);
            if (childProperty.IsCollection)
            {
                var list = Items(instance, childProperty.Name);
                list.Add(childValue);
                SetList(instance, childProperty.Name, list, i);
            }
            else
            {
                Set(instance, childProperty.Name, childValue, i);
            }
        }

        return instance;
    }

    /// <summary>A primitive given as another primitive type (e.g. valueCode for an enumerated code, valueString for a markdown) is converted.</summary>
    private static Base Coerce(DataType value, PropertyMapping property)
    {
        var type = property.ImplementingType;
        if (value is PrimitiveType primitive && !type.IsInstanceOfType(value) && typeof(PrimitiveType).IsAssignableFrom(type) && !type.IsAbstract)
        {
            var converted = (PrimitiveType)Activator.CreateInstance(type)!;
            converted.JsonValue = primitive.JsonValue;
            return converted;
        }

        return value;
    }

    private static Parameters.ParameterComponent? Part(Parameters.ParameterComponent op, string name) =>
        op.Part.FirstOrDefault(p => p.Name == name);

    private static int Index(Parameters.ParameterComponent op, string name, int i) =>
        Part(op, name)!.Value is Integer { Value: { } n } ? n : throw Malformed(i, $"{name} must be an integer.");

    private static FhirOutcomeException Malformed(int i, string message) =>
        FhirOutcomeException.Of(FailureKind.Invalid, $"FHIRPath Patch operation {i}: {message}", $"Parameters.parameter[{i}]");

    private static FhirOutcomeException Unapplicable(int i, string message) =>
        FhirOutcomeException.Of(FailureKind.Unprocessable, $"FHIRPath Patch operation {i} cannot be applied: {message}", $"Parameters.parameter[{i}]");
}
