namespace Switchboard.Client.Tests.Infrastructure;

/// <summary>What the wire tests share: clients made against a server's address, disposed after each test.</summary>
public abstract class ClientTests : IAsyncLifetime
{
    private readonly List<SocketIOClient> _clients = [];

    /// <summary>A client of <paramref name="server"/> over <paramref name="transport"/>, disposed after the test.</summary>
    protected SocketIOClient NewClient(Uri server, ClientTransport transport, SocketIOClientOptions? options = null)
    {
        var client = new SocketIOClient(server, (options ?? new SocketIOClientOptions()) with { Transport = transport });
        _clients.Add(client);
        return client;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync().AsTask().WaitAsync(Timeouts.Default);
        }
    }
}
