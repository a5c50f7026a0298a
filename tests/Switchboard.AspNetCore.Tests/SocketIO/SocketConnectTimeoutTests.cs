using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

public sealed class ShortConnectTimeoutSocketIOFixture : SocketIOFixture
{
    protected override void ConfigureOptions(SocketServerOptions options) => options.ConnectTimeout = TimeSpan.FromMilliseconds(300);
}

public sealed class SocketConnectTimeoutTests(ShortConnectTimeoutSocketIOFixture fixture) : IClassFixture<ShortConnectTimeoutSocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task A_connection_that_joins_no_namespace_in_time_is_closed()
    {
        // Pings come every 25 s: the only reason to close this idle connection is the connect timeout.
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.Engine.WaitClosedAsync();

        Assert.Null(fixture.Io.Engine.Find(client.EngineSid));
    }
}
