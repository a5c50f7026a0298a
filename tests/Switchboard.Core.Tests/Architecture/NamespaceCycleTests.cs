using Switchboard.Engine;

namespace Switchboard.Core.Tests.Architecture;

/// <summary>
/// Core's namespaces depend one way (docs/architecture.md, "Inside Core"): a namespace never uses,
/// directly or through others, a namespace that uses it.
/// </summary>
public sealed class NamespaceCycleTests
{
    [Fact]
    public void Core_namespaces_have_no_cycle()
    {
        var graph = NamespaceGraph.Of(typeof(EngineServer).Assembly);
        var cycles = graph.Cycles();

        Assert.True(cycles.Count == 0, "Core's namespaces depend on each other in a circle:" + Environment.NewLine +
            string.Join(Environment.NewLine + Environment.NewLine, cycles.Select(graph.DescribeCycle)));
    }

    [Fact]
    public void Core_namespaces_keep_the_drawn_direction()
    {
        var edges = NamespaceGraph.Of(typeof(EngineServer).Assembly).Edges.Keys;

        // The bottom never names what is above it: Engine and Channels know neither SocketIO nor Cluster,
        // and Cluster does not know SocketIO.
        Assert.DoesNotContain(edges, e => e.From is "Switchboard.Engine" or "Switchboard.Channels" && e.To is "Switchboard.SocketIO" or "Switchboard.Cluster");
        Assert.DoesNotContain(("Switchboard.Cluster", "Switchboard.SocketIO"), edges);
        // And the graph is read at all: SocketIO is built on Engine, Channels and Cluster.
        Assert.Contains(("Switchboard.SocketIO", "Switchboard.Engine"), edges);
        Assert.Contains(("Switchboard.SocketIO", "Switchboard.Channels"), edges);
        Assert.Contains(("Switchboard.SocketIO", "Switchboard.Cluster"), edges);
    }

    [Fact]
    public void The_graph_finds_a_cycle_made_inside_a_method_body()
    {
        var graph = NamespaceGraph.Of(typeof(NamespaceCycleTests).Assembly);
        const string Low = "Switchboard.Core.Tests.Architecture.ProbeLow";
        const string High = "Switchboard.Core.Tests.Architecture.ProbeHigh";

        var cycle = Assert.Single(graph.Cycles(), c => c.Contains(Low));
        Assert.Equal([High, Low], cycle.Order(StringComparer.Ordinal));
        Assert.Contains("Low.Count uses " + High + ".High", graph.Edges[(Low, High)], StringComparison.Ordinal);
        Assert.Contains(Low + " -> " + High, graph.DescribeCycle(cycle), StringComparison.Ordinal);
    }
}
