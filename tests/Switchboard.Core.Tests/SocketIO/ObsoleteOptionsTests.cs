using Switchboard.Channels;
using Switchboard.Cluster;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.SocketIO;

/// <summary>
/// The options that carried services are obsolete (docs/decisions/0012, 0013) but keep working, and the
/// constructor parameters that replace them win over them.
/// </summary>
#pragma warning disable CS0618 // the obsolete options under test
public sealed class ObsoleteOptionsTests
{
    private sealed class MarkedAdapter(Namespace nsp) : SocketAdapter(nsp);

    [Fact]
    public void The_obsolete_AdapterFactory_makes_every_namespace_adapter()
    {
        var options = new SocketServerOptions { AdapterFactory = nsp => new MarkedAdapter(nsp) };
        using var io = new SocketServer(options);

        Assert.IsType<MarkedAdapter>(io.Main.Adapter);
        Assert.IsType<MarkedAdapter>(io.Of("/other").Adapter);
    }

    [Fact]
    public void The_adapterFactory_parameter_wins_over_the_obsolete_option()
    {
        var options = new SocketServerOptions { AdapterFactory = nsp => throw new InvalidOperationException("the option must not be used") };
        using var io = new SocketServer(options, adapterFactory: nsp => new MarkedAdapter(nsp));

        Assert.IsType<MarkedAdapter>(io.Main.Adapter);
    }

    [Fact]
    public void The_obsolete_ChannelStore_option_keeps_the_history_and_the_parameter_wins_over_it()
    {
        using var fromOption = new InMemoryChannelStore();
        using var fromParameter = new InMemoryChannelStore();

        using (var io = new SocketServer(new SocketServerOptions { ChannelStore = fromOption }))
        {
            Assert.Same(fromOption, io.ChannelStore);
        }
        using (var io = new SocketServer(new SocketServerOptions { ChannelStore = fromOption }, channelStore: fromParameter))
        {
            Assert.Same(fromParameter, io.ChannelStore);
        }
    }

    [Fact]
    public async Task The_obsolete_Cluster_option_joins_the_cluster_whose_bus_owns_the_history()
    {
        using var cluster = new InMemoryCluster();
        await using var bus = cluster.Join("a");
        using var io = new SocketServer(new SocketServerOptions { Cluster = bus });

        Assert.Same(bus, io.Cluster);
        Assert.Same(bus.History, io.ChannelStore);
    }
}
#pragma warning restore CS0618
