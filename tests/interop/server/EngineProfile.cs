using System.Collections.Concurrent;
using Switchboard.Engine;
using Switchboard.SocketIO;

/// <summary>
/// The Engine.IO options and events for tests/interop/engine-options.test.mjs, on when the app starts
/// with <c>--Interop:Engine=true</c>: permessage-deflate on (HTTP compression is on by default), and
/// every engine event recorded; the event <c>engine-events</c> acknowledges the records.
/// <list type="bullet">
/// <item><c>initial_headers</c> sets the cookie <c>interop=&lt;n&gt;</c> (n counts handshakes);</item>
/// <item><c>headers</c> records each response: its sid (query), the request's <c>cookie</c> header, the transport, and the response's Content-Encoding;</item>
/// <item><c>connection_error</c> records code, message and context; each session records <c>upgrading</c> and <c>upgrade</c>.</item>
/// </list>
/// </summary>
internal static class EngineProfile
{
    public static bool IsOn(IConfiguration configuration) => configuration.GetValue<bool>("Interop:Engine");

    public static void ConfigureOptions(SocketServerOptions options, IConfiguration configuration)
    {
        if (IsOn(configuration))
        {
            options.Engine.PerMessageDeflate.Enabled = true;
        }
    }

    public static void Configure(SocketServer io, IConfiguration configuration)
    {
        if (!IsOn(configuration))
        {
            return;
        }
        var records = new ConcurrentQueue<Dictionary<string, object?>>();
        var handshakes = 0;
        var engine = io.Engine;
        engine.ConnectionError += e => records.Enqueue(new()
        {
            ["event"] = "connection_error",
            ["code"] = (int)e.Code,
            ["message"] = e.Message,
            ["context"] = e.Context,
            ["url"] = e.Request.Url,
        });
        engine.InitialHeaders += e =>
        {
            var n = Interlocked.Increment(ref handshakes);
            e.Headers["Set-Cookie"] = $"interop={n}; Path=/";
            records.Enqueue(new() { ["event"] = "initial_headers", ["cookie"] = $"interop={n}", ["transport"] = Query(e.Request, "transport") });
        };
        engine.Headers += e => records.Enqueue(new()
        {
            ["event"] = "headers",
            ["sid"] = Query(e.Request, "sid"),
            ["transport"] = Query(e.Request, "transport"),
            ["requestCookie"] = e.Request.Headers.TryGetValue("cookie", out var cookie) ? cookie : null,
            ["contentEncoding"] = e.Headers.TryGetValue("Content-Encoding", out var encoding) ? encoding.ToString() : null,
        });
        engine.Connection += session =>
        {
            session.UpgradeStarted += (s, transport) => records.Enqueue(new() { ["event"] = "upgrading", ["sid"] = s.Id, ["transport"] = Name(transport) });
            session.Upgraded += (s, transport) => records.Enqueue(new() { ["event"] = "upgrade", ["sid"] = s.Id, ["transport"] = Name(transport) });
        };
        io.Main.On("engine-events", e => e.Ack((object)records.ToArray()));
        // (n): a string of n repetitive characters, for the compression tests.
        io.Main.On("large", e => e.Ack(string.Concat(Enumerable.Repeat("switchboard ", e.Arg<int>(0) / 12 + 1))[..e.Arg<int>(0)]));
    }

    private static string? Query(EngineRequest request, string name) => request.Query.TryGetValue(name, out var value) ? value : null;

    private static string Name(EngineTransportKind transport) => transport == EngineTransportKind.WebSocket ? "websocket" : "polling";
}
