using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketChannels;

/// <summary>A raw Socket.IO client on the main namespace that speaks the channel events and reads their acks.</summary>
public sealed class ChannelSocket : IAsyncDisposable
{
    private int _ackId;

    private ChannelSocket(SocketIOTestClient client, string id)
    {
        Client = client;
        Id = id;
    }

    public SocketIOTestClient Client { get; }

    /// <summary>The socket id from the CONNECT reply.</summary>
    public string Id { get; }

    /// <summary>Connects with <c>{"token": token}</c> as the auth payload, or none.</summary>
    public static async Task<ChannelSocket> ConnectAsync(TestHost host, string? token = null)
    {
        var client = await SocketIOTestClient.OpenAsync(host);
        var id = await client.JoinAsync("/", token is null ? null : Json(new { token }));
        return new ChannelSocket(client, id);
    }

    /// <summary>Sends CONNECT with the auth payload and returns the CONNECT_ERROR's JSON (fails on any other reply).</summary>
    public static async Task<JsonElement> ConnectRefusedAsync(TestHost host, string auth)
    {
        await using var client = await SocketIOTestClient.OpenAsync(host);
        await client.SendAsync("40" + auth);
        var reply = await client.ReceiveTextAsync();
        Assert.StartsWith("44{", reply);
        return JsonDocument.Parse(reply[2..]).RootElement.Clone();
    }

    public static string Json(object value) => JsonSerializer.Serialize(value, SocketJson.Options);

    /// <summary>Emits <paramref name="eventName"/> with <paramref name="payload"/> and returns the acknowledgement's first argument.</summary>
    public Task<JsonElement> EmitWithAckAsync(string eventName, object payload) => EmitRawWithAckAsync(eventName, Json(payload));

    /// <summary>Emits with the arguments written as raw JSON (after the event name): <c>42id["name",argsJson]</c>.</summary>
    public async Task<JsonElement> EmitRawWithAckAsync(string eventName, string argsJson) =>
        await ReceiveAckAsync(await EmitRawAsync(eventName, argsJson));

    /// <summary>Emits asking for an acknowledgement and returns its id, without waiting for it.</summary>
    public Task<int> EmitAsync(string eventName, object payload) => EmitRawAsync(eventName, Json(payload));

    public async Task<int> EmitRawAsync(string eventName, string argsJson)
    {
        var id = ++_ackId;
        var separator = argsJson.Length > 0 ? "," : "";
        await Client.SendAsync($"42{id}[{Json(eventName)}{separator}{argsJson}]");
        return id;
    }

    /// <summary>The next message, which must be the acknowledgement <paramref name="id"/>: its first argument.</summary>
    public async Task<JsonElement> ReceiveAckAsync(int id)
    {
        var reply = await Client.ReceiveTextAsync();
        Assert.StartsWith($"43{id}[", reply);
        return JsonDocument.Parse(reply[$"43{id}".Length..]).RootElement[0].Clone();
    }

    /// <summary>The next message, which must be an event: its name and arguments.</summary>
    public async Task<(string Name, JsonElement[] Args)> ReceiveEventAsync()
    {
        var text = await Client.ReceiveTextAsync();
        Assert.StartsWith("42[", text);
        var array = JsonDocument.Parse(text[2..]).RootElement;
        return (array[0].GetString()!, [.. array.EnumerateArray().Skip(1).Select(a => a.Clone())]);
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
