using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>Opens clients on the fixture's host, disposes them after each test, and fails on error logs.</summary>
public abstract class PlainTestBase(PlainWebSocketFixture fixture) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];

    protected PlainWebSocketFixture Fixture => fixture;

    protected TestHost Host => fixture.Host;

    protected async Task<PlainClient> ConnectAsync(string path = "/ws", string? token = "all", bool read = true)
    {
        var client = await PlainClient.ConnectAsync(fixture.Host, path, token, read: read);
        _disposables.Add(client);
        return client;
    }

    protected T Track<T>(T disposable)
        where T : IAsyncDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    protected static object Position(JsonElement frame) =>
        new { offset = frame.GetProperty("offset").GetInt64(), epoch = frame.GetProperty("epoch").GetString() };

    protected static long Offset(JsonElement frame) => frame.GetProperty("offset").GetInt64();

    protected static string Epoch(JsonElement frame) => frame.GetProperty("epoch").GetString()!;

    protected static JsonElement Data(JsonElement frame) => frame.GetProperty("data");

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }
        fixture.Host.Logs.AssertNoErrors();
    }
}
