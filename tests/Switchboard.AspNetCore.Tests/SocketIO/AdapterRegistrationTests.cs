using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

/// <summary>
/// A namespace's adapter comes from <c>AddSwitchboard().AddAdapter(...)</c> (options stay plain data,
/// docs/decisions/0013), and the obsolete <see cref="SocketServerOptions.AdapterFactory"/> still works.
/// Each test sends a broadcast to a real client and asserts it went through the application's adapter.
/// </summary>
public sealed class AdapterRegistrationTests
{
    [Fact]
    public async Task AddAdapter_makes_every_namespace_adapter_from_the_container()
    {
        var seen = new BroadcastLog();
        await using var host = await TestHost.StartAsync(
            builder =>
            {
                builder.Services.AddSingleton(seen);
                builder.Services.AddSwitchboard().AddAdapter((sp, nsp) => new CountingAdapter(nsp, sp.GetRequiredService<BroadcastLog>()));
            },
            app => app.MapSocketIO("/socket.io"));
        await AssertBroadcastGoesThroughAsync(host, seen);
    }

    [Fact]
    public async Task The_obsolete_AdapterFactory_option_is_still_honoured()
    {
        var seen = new BroadcastLog();
        await using var host = await TestHost.StartAsync(
            builder =>
            {
#pragma warning disable CS0618 // the obsolete option under test
                builder.Services.AddSwitchboard(o => o.AdapterFactory = nsp => new CountingAdapter(nsp, seen));
#pragma warning restore CS0618
            },
            app => app.MapSocketIO("/socket.io"));
        await AssertBroadcastGoesThroughAsync(host, seen);
    }

    [Fact]
    public async Task AddAdapter_wins_over_the_obsolete_option()
    {
        var registered = new BroadcastLog();
        var option = new BroadcastLog();
        await using var host = await TestHost.StartAsync(
            builder =>
            {
#pragma warning disable CS0618 // the obsolete option under test
                builder.Services.AddSwitchboard(o => o.AdapterFactory = nsp => new CountingAdapter(nsp, option))
                    .AddAdapter(nsp => new CountingAdapter(nsp, registered));
#pragma warning restore CS0618
            },
            app => app.MapSocketIO("/socket.io"));
        await AssertBroadcastGoesThroughAsync(host, registered);
        Assert.Equal(0, option.Count);
    }

    private static async Task AssertBroadcastGoesThroughAsync(TestHost host, BroadcastLog seen)
    {
        var io = host.Services.GetRequiredService<SocketServer>();
        Assert.IsType<CountingAdapter>(io.Main.Adapter);
        var (client, _) = await SocketIOTestClient.ConnectAsync(host);
        await using var _ = client;

        await io.EmitAsync("hello", 1).Within();

        Assert.Equal("42[\"hello\",1]", await client.ReceiveTextAsync().Within());
        Assert.Equal(1, seen.Count);
    }

    public sealed class BroadcastLog
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    private sealed class CountingAdapter(Namespace nsp, BroadcastLog log) : SocketAdapter(nsp)
    {
        public override ValueTask BroadcastAsync(EncodedPacket packet, BroadcastOptions options, CancellationToken cancellationToken = default)
        {
            log.Add();
            return base.BroadcastAsync(packet, options, cancellationToken);
        }
    }
}
