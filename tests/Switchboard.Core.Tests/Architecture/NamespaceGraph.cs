using System.Reflection;
using System.Reflection.Emit;

namespace Switchboard.Core.Tests.Architecture;

/// <summary>
/// Which of an assembly's namespaces use which, read from its types: base types, interfaces, fields,
/// properties, events, method signatures and locals, and every type, method and field a method body's IL
/// names. A compiler-generated type (a closure, an async state machine) counts as its outermost declaring type.
/// </summary>
internal sealed class NamespaceGraph
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private readonly Assembly _assembly;

    /// <summary>Each edge (from namespace, to namespace) with one example of a use that makes it.</summary>
    public Dictionary<(string From, string To), string> Edges { get; } = [];

    private NamespaceGraph(Assembly assembly) => _assembly = assembly;

    public static NamespaceGraph Of(Assembly assembly)
    {
        var graph = new NamespaceGraph(assembly);
        // Types outside any namespace are the compiler's own (<PrivateImplementationDetails>, collection literals).
        foreach (var type in assembly.GetTypes().Where(t => Outermost(t).Namespace is not null))
        {
            graph.AddType(type);
        }
        return graph;
    }

    /// <summary>The namespaces that depend on each other in a circle: strongly connected components of more than one.</summary>
    public List<List<string>> Cycles()
    {
        var nodes = Edges.Keys.SelectMany(e => new[] { e.From, e.To }).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var components = new List<List<string>>();
        var next = 0;

        void Connect(string node)
        {
            index[node] = low[node] = next++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var to in Successors(node))
            {
                if (!index.ContainsKey(to))
                {
                    Connect(to);
                    low[node] = Math.Min(low[node], low[to]);
                }
                else if (onStack.Contains(to))
                {
                    low[node] = Math.Min(low[node], index[to]);
                }
            }
            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                if (component.Count > 1)
                {
                    components.Add(component);
                }
            }
        }

        foreach (var node in nodes)
        {
            if (!index.ContainsKey(node))
            {
                Connect(node);
            }
        }
        return components;
    }

    /// <summary>One shortest circle inside a component, from its first namespace, with a use behind each step.</summary>
    public string DescribeCycle(IReadOnlyCollection<string> component)
    {
        var start = component.Order(StringComparer.Ordinal).First();
        var previous = new Dictionary<string, string>();
        var queue = new Queue<string>([start]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var to in Successors(node).Where(component.Contains))
            {
                if (to == start)
                {
                    var path = new List<string> { start };
                    for (var at = node; at != start; at = previous[at])
                    {
                        path.Add(at);
                    }
                    path.Add(start);
                    path.Reverse();
                    var lines = path.Zip(path.Skip(1), (a, b) => $"  {a} -> {b}   ({Edges[(a, b)]})");
                    return string.Join(Environment.NewLine, lines);
                }
                if (previous.TryAdd(to, node))
                {
                    queue.Enqueue(to);
                }
            }
        }
        return "  " + string.Join(", ", component);
    }

    private IEnumerable<string> Successors(string node) =>
        Edges.Keys.Where(e => e.From == node).Select(e => e.To).Order(StringComparer.Ordinal);

    private void AddType(Type type)
    {
        var from = Owner(type);
        var what = Outermost(type).Name;
        Use(from, type.BaseType, $"{what} derives from");
        foreach (var contract in type.GetInterfaces())
        {
            Use(from, contract, $"{what} implements");
        }
        foreach (var field in type.GetFields(Declared))
        {
            Use(from, field.FieldType, $"{what}.{field.Name}");
        }
        foreach (var property in type.GetProperties(Declared))
        {
            Use(from, property.PropertyType, $"{what}.{property.Name}");
        }
        foreach (var @event in type.GetEvents(Declared))
        {
            Use(from, @event.EventHandlerType, $"{what}.{@event.Name}");
        }
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            var name = $"{what}.{method.Name}";
            if (method is MethodInfo info)
            {
                Use(from, info.ReturnType, name);
            }
            foreach (var parameter in method.GetParameters())
            {
                Use(from, parameter.ParameterType, name);
            }
            AddBody(from, method, name);
        }
    }

    private void AddBody(string from, MethodBase method, string name)
    {
        var body = method.GetMethodBody();
        if (body is null)
        {
            return;
        }
        foreach (var local in body.LocalVariables)
        {
            Use(from, local.LocalType, name);
        }
        var il = body.GetILAsByteArray() ?? [];
        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            OpCode op;
            if (il[at] == 0xFE)
            {
                op = OpCodesByValue[unchecked((short)(0xFE00 | il[at + 1]))];
                at += 2;
            }
            else
            {
                op = OpCodesByValue[il[at]];
                at += 1;
            }
            switch (op.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                    var member = module.ResolveMember(BitConverter.ToInt32(il, at), typeArgs, methodArgs);
                    UseMember(from, member, name);
                    at += 4;
                    break;
                default:
                    // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR.
                    at += 4;
                    break;
            }
        }
    }

    private void UseMember(string from, MemberInfo? member, string name)
    {
        switch (member)
        {
            case Type type:
                Use(from, type, name);
                break;
            case MethodInfo method:
                Use(from, method.DeclaringType, name);
                foreach (var argument in method.IsGenericMethod ? method.GetGenericArguments() : [])
                {
                    Use(from, argument, name);
                }
                break;
            case not null:
                Use(from, member.DeclaringType, name);
                break;
        }
    }

    private void Use(string from, Type? type, string where)
    {
        if (type is null)
        {
            return;
        }
        if (type.HasElementType)
        {
            Use(from, type.GetElementType(), where);
            return;
        }
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            Use(from, type.GetGenericTypeDefinition(), where);
            foreach (var argument in type.GetGenericArguments())
            {
                Use(from, argument, where);
            }
            return;
        }
        if (type.IsGenericParameter || type.Assembly != _assembly || Outermost(type).Namespace is null)
        {
            return;
        }
        var to = Owner(type);
        if (to != from)
        {
            Edges.TryAdd((from, to), $"{where} uses {Outermost(type).FullName}");
        }
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }
        return type;
    }

    private static string Owner(Type type) => Outermost(type).Namespace!;
}
