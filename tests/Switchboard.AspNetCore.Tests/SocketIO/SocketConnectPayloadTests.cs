using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Protocols;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

/// <summary>
/// CONNECT payloads at and past the one JSON depth limit (<see cref="JsonLimits.MaxDepth"/>), and a
/// CONNECT whose handling throws: each gets a CONNECT_ERROR at once, never a silent wait.
/// </summary>
public sealed class SocketConnectPayloadTests(SocketIOFixture fixture) : IClassFixture<SocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    /// <summary>An object <paramref name="depth"/> levels deep, the outermost included: <c>{"a":{"a":...{}}}</c>.</summary>
    private static string Nested(int depth) =>
        string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1);

    [Theory]
    [InlineData(JsonLimits.MaxDepth + 1)]
    [InlineData(100)]
    [InlineData(128)]
    [InlineData(1000)]
    public async Task An_auth_payload_deeper_than_the_limit_gets_a_connect_error_and_the_connection_stays(int depth)
    {
        var nsp = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync($"40{nsp.Name},{Nested(depth)}");

        Assert.Equal($"44{nsp.Name},{{\"message\":\"Invalid payload: JSON nested deeper than 64 levels\"}}", await client.ReceiveTextAsync().Within());
        var sid = await client.JoinAsync(nsp.Name, "{\"ok\":true}");
        Assert.True(SocketIOFixture.ServerSocket(nsp, sid).Connected);
    }

    [Fact]
    public async Task An_auth_payload_exactly_at_the_limit_connects()
    {
        var nsp = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        var sid = await client.JoinAsync(nsp.Name, Nested(JsonLimits.MaxDepth));

        var auth = SocketIOFixture.ServerSocket(nsp, sid).Handshake.Auth;
        Assert.Equal(System.Text.Json.JsonValueKind.Object, auth.GetProperty("a").GetProperty("a").ValueKind);
    }

    [Fact]
    public async Task A_malformed_auth_payload_closes_the_connection_as_socket_io_does()
    {
        var nsp = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync($"40{nsp.Name},{{\"a\":");

        await client.Engine.WaitClosedAsync();
    }

    [Fact]
    public async Task An_event_deeper_than_the_limit_closes_the_connection_as_a_parse_error()
    {
        var (client, _) = await SocketIOTestClient.ConnectAsync(fixture.Host);
        await using var __ = client;

        await client.SendAsync("42[\"echo\"," + new string('[', JsonLimits.MaxDepth) + new string(']', JsonLimits.MaxDepth) + "]");

        await client.Engine.WaitClosedAsync();
    }

    [Fact]
    public async Task An_event_exactly_at_the_limit_is_delivered()
    {
        var (client, _) = await SocketIOTestClient.ConnectAsync(fixture.Host);
        await using var __ = client;
        var arg = new string('[', JsonLimits.MaxDepth - 1) + new string(']', JsonLimits.MaxDepth - 1);

        await client.SendAsync("421[\"echo\"," + arg + "]");

        Assert.Equal("431[" + arg + "]", await client.ReceiveTextAsync().Within());
    }

    [Fact]
    public async Task A_namespace_lookup_that_throws_is_logged_and_answered_with_a_connect_error()
    {
        var name = $"/throws-{Guid.NewGuid():N}";
        fixture.Io.Of((requested, _) => requested == name
            ? throw new InvalidOperationException("lookup failed")
            : ValueTask.FromResult(false));
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync($"40{name},");

        Assert.Equal($"44{name},{{\"message\":\"Internal server error\"}}", await client.ReceiveTextAsync().Within());
        var error = Assert.Single(fixture.Host.Logs.TakeErrors());
        Assert.Contains("could not join " + name, error, StringComparison.Ordinal);
        Assert.Contains("lookup failed", error, StringComparison.Ordinal);
    }
}
