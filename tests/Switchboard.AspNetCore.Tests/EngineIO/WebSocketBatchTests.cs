using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.Tests.EngineIO;

/// <summary>
/// A backlog on a WebSocket goes out in bounded batches: each batch is one write to Kestrel's
/// connection (counted as flushes of data to the connection's output by a connection middleware), and the
/// client gets every message, in order.
/// </summary>
public sealed class WebSocketBatchTests : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _flushes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EngineSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _webSocketConnections = new(StringComparer.Ordinal);
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync(
            builder => builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection =>
            {
                var flushes = _flushes.GetOrAdd(connection.ConnectionId, _ => new StrongBox<int>());
                connection.Transport = new FlushCountingPipe(connection.Transport, flushes);
                return next(connection);
            }))),
            app =>
            {
                app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
                app.Use((context, next) =>
                {
                    if (context.WebSockets.IsWebSocketRequest && context.Request.Query["sid"].ToString() is { Length: > 0 } sid)
                    {
                        _webSocketConnections[sid] = context.Connection.Id;
                    }
                    return next(context);
                });
                app.MapEngineIO("/engine.io", session => _sessions[session.Id] = session);
            });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _host.Logs.AssertNoErrors();
    }

    [Theory]
    [InlineData(1000, 100)] // many small messages: batches end at the message limit
    [InlineData(40, 8192)] // fewer large ones: batches end at the byte limit
    public async Task A_backlog_goes_out_in_bounded_batches_complete_and_in_order(int count, int size)
    {
        using var polling = new EnginePollingClient(_host.BaseAddress, "/engine.io");
        await polling.HandshakeAsync();
        var session = _sessions[polling.Sid];
        await using var ws = await EngineWebSocketClient.ConnectAsync(_host.BaseAddress, "/engine.io", polling.Sid);
        await ws.SendAsync("2probe");
        Assert.Equal("3probe", await ws.ReceiveTextAsync());

        // Queued while the session is between transports: the writer starts with the whole backlog.
        var expected = Enumerable.Range(0, count).Select(i => i.ToString("D6") + new string('x', size - 6)).ToArray();
        foreach (var message in expected)
        {
            Assert.True(session.SendText(System.Text.Encoding.UTF8.GetBytes(message)));
        }
        var flushes = _flushes[_webSocketConnections[polling.Sid]];
        var before = Volatile.Read(ref flushes.Value);
        await ws.SendAsync("5");

        foreach (var message in expected)
        {
            Assert.Equal("4" + message, await ws.ReceiveTextAsync());
        }
        var perBatch = Math.Min(WebSocketWriter.MaxBatchMessages, (int)Math.Ceiling(WebSocketWriter.MaxBatchBytes / (double)(size + 1)));
        var batches = (count + perBatch - 1) / perBatch;
        Assert.True(batches > 1);
        Assert.Equal(batches, Volatile.Read(ref flushes.Value) - before);
    }

    /// <summary>The connection's pipe, counting the flushes of its output.</summary>
    private sealed class FlushCountingPipe(IDuplexPipe inner, StrongBox<int> flushes) : IDuplexPipe
    {
        public PipeReader Input => inner.Input;

        public PipeWriter Output { get; } = new FlushCountingWriter(inner.Output, flushes);
    }

    /// <summary>Counts the flushes that carry data (Kestrel may flush again with nothing new).</summary>
    private sealed class FlushCountingWriter(PipeWriter inner, StrongBox<int> flushes) : PipeWriter
    {
        private long _unflushed;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _unflushed, 0) > 0)
            {
                Interlocked.Increment(ref flushes.Value);
            }
            return inner.FlushAsync(cancellationToken);
        }

        public override void Advance(int bytes)
        {
            Interlocked.Add(ref _unflushed, bytes);
            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }
}
