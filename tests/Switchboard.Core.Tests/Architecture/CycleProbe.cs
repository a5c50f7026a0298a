// Two namespaces that use each other, one of them only inside a method body: the graph must see the
// circle (NamespaceCycleTests.The_graph_finds_a_cycle_made_inside_a_method_body).
namespace Switchboard.Core.Tests.Architecture.ProbeLow
{
    internal static class Low
    {
        // Nothing in a signature, field or local names ProbeHigh: only the call's IL does.
        internal static int Count() => ProbeHigh.High.Size();
    }
}

namespace Switchboard.Core.Tests.Architecture.ProbeHigh
{
    internal static class High
    {
        internal static int Size() => 1;

        internal static int Twice() => ProbeLow.Low.Count() * 2;
    }
}
