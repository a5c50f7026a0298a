using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.SocketIO;

/// <summary>
/// The cancellation tokens of the public async calls (docs/decisions/0013) are honoured: a cancelled wait
/// ends with <see cref="OperationCanceledException"/>, and a call made with a token already cancelled
/// does nothing. In process, over <see cref="DirectClient"/>.
/// </summary>
public sealed class CancellationTests : IDisposable
{
    private readonly SocketServer _io = new(new SocketServerOptions());

    public void Dispose() => _io.Dispose();

    [Fact]
    public async Task Cancelling_a_broadcast_with_acks_ends_the_wait_before_its_timeout()
    {
        var (client, _) = await DirectClient.ConnectAsync(_io);
        using var _ = client;
        using var cts = new CancellationTokenSource();

        var pending = _io.Timeout(TimeSpan.FromMinutes(10)).WithCancellation(cts.Token).EmitWithAckAsync("question");
        Assert.Matches("^42\\d+\\[\"question\"\\]$", await client.ReceiveAsync()); // sent, never acknowledged
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(DirectClient.Timeout));
    }

    [Fact]
    public async Task An_emit_with_a_cancelled_token_sends_nothing()
    {
        var (client, _) = await DirectClient.ConnectAsync(_io);
        using var _ = client;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _io.WithCancellation(new CancellationToken(true)).EmitAsync("never").AsTask());
        await _io.EmitAsync("after").AsTask().WaitAsync(DirectClient.Timeout);

        Assert.Equal("42[\"after\"]", await client.ReceiveAsync());
    }

    [Fact]
    public async Task Operator_calls_with_a_cancelled_token_change_nothing()
    {
        var (client, sid) = await DirectClient.ConnectAsync(_io);
        using var _ = client;
        var cancelled = new CancellationToken(true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _io.In(sid).WithCancellation(cancelled).SocketsJoinAsync("vip").AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _io.DisconnectSocketsAsync(cancellationToken: cancelled).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _io.FetchSocketsAsync(cancelled).AsTask());

        var socket = _io.Main.Sockets[sid];
        Assert.DoesNotContain("vip", socket.Rooms);
        Assert.True(socket.Connected);
    }

    [Fact]
    public async Task A_join_with_a_cancelled_token_does_not_join()
    {
        var (client, sid) = await DirectClient.ConnectAsync(_io);
        using var _ = client;
        var socket = _io.Main.Sockets[sid];

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => socket.JoinAsync("room", new CancellationToken(true)).AsTask());
        await socket.JoinAsync("other", CancellationToken.None).AsTask().WaitAsync(DirectClient.Timeout);

        Assert.DoesNotContain("room", socket.Rooms);
        Assert.Contains("other", socket.Rooms);
    }
}
