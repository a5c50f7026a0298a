using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.Infrastructure;

/// <summary>What the server saw of one Engine.IO session: its packets and how it ended.</summary>
public sealed class SessionProbe(EngineSession session)
{
    public EngineSession Session { get; } = session;

    public TaskCompletionSource<DisconnectCode> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Channel<EnginePacket> Received { get; } = Channel.CreateUnbounded<EnginePacket>();

    /// <summary>Set when the handler is blocked in the message <c>hold</c>, until <see cref="Release"/> is set.</summary>
    public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ManualResetEventSlim Release { get; } = new();
}

/// <summary>
/// Bare Engine.IO endpoints (MapEngineIO) whose handler echoes every message back:
/// <c>/engine.io</c> with default options, <c>/small</c> with a 64-byte MaxPayload, <c>/guarded</c>
/// refusing requests with a <c>deny</c> query parameter (AllowRequest), and
/// <c>/fast</c> with a 200 ms heartbeat, <c>/steady</c> pinging every 100 ms with a 5 s timeout.
/// The message <c>hold</c> blocks the handler until the test releases it.
/// </summary>
public sealed class EchoEngineFixture : IAsyncLifetime
{
    public const int SmallMaxPayload = 64;
    public static readonly TimeSpan FastPing = TimeSpan.FromMilliseconds(200);

    /// <summary>Frequent pings with a generous timeout, so a busy machine cannot make a live client miss one.</summary>
    public static readonly TimeSpan SteadyPingInterval = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<string, SessionProbe> _sessions = new(StringComparer.Ordinal);
    private readonly RequestWatcher _requests = new();

    public TestHost Host { get; private set; } = null!;

    /// <summary>Every request <c>/guarded</c>'s AllowRequest judged, by reference.</summary>
    public ConcurrentDictionary<EngineRequest, bool> Judged { get; } = new(ReferenceEqualityComparer.Instance);

    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(
            _ => { },
            app =>
            {
                app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
                _requests.Install(app);
                app.MapEngineIO("/engine.io", OnConnection);
                app.MapEngineIO("/small", OnConnection, o => o.MaxPayload = SmallMaxPayload);
                app.MapEngineIO("/guarded", OnConnection, o => o.AllowRequest = request =>
                {
                    Judged[request] = true;
                    return ValueTask.FromResult(!request.Query.ContainsKey("deny"));
                });
                app.MapEngineIO("/fast", OnConnection, o =>
                {
                    o.PingInterval = FastPing;
                    o.PingTimeout = FastPing;
                });
                app.MapEngineIO("/steady", OnConnection, o =>
                {
                    o.PingInterval = SteadyPingInterval;
                    o.PingTimeout = TimeSpan.FromSeconds(5);
                });
            });
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    /// <summary>The probe of a session the server opened; fails if there is none.</summary>
    public SessionProbe Session(string sid)
    {
        Assert.True(_sessions.TryGetValue(sid, out var probe), $"The server opened no session {sid}.");
        return probe;
    }

    /// <summary>Completes when a poll of this session reaches the server; call it before polling.</summary>
    public Task WhenPollArrives(string sid) => _requests.WhenPollArrives(sid);

    public Task WhenRequestArrives(Func<Microsoft.AspNetCore.Http.HttpRequest, bool> match) => _requests.WhenArrives(match);

    private void OnConnection(EngineSession session)
    {
        var probe = new SessionProbe(session);
        _sessions[session.Id] = probe;
        session.Handler = new EchoHandler(probe);
    }

    private sealed class EchoHandler(SessionProbe probe) : IEngineSessionHandler
    {
        public void OnMessage(EngineSession session, EnginePacket packet)
        {
            var copy = new EnginePacket(packet.Type, packet.Data.ToArray(), packet.IsBinary);
            probe.Received.Writer.TryWrite(copy);
            if (!copy.IsBinary && copy.Data.Span.SequenceEqual("hold"u8))
            {
                // Handlers run synchronously on the request that carried the packet: this keeps the POST open.
                probe.Holding.TrySetResult();
                probe.Release.Wait(Timeouts.Default);
            }
            if (copy.IsBinary)
            {
                session.SendBinary(copy.Data);
            }
            else
            {
                session.SendText(copy.Data.Span);
            }
        }

        public void OnClose(EngineSession session, DisconnectCode reason)
        {
            probe.Closed.TrySetResult(reason);
            probe.Received.Writer.TryComplete();
        }
    }
}
