using System.Globalization;
using System.Text.Json;
using Switchboard.Protocols.Channels;

namespace Switchboard.Client.Channels.Transports;

/// <summary>
/// HTTP long-poll (docs/protocols/longpoll.md): each poll names the channels and the cursor of their
/// positions, and is held until publications come. Every poll is a new request, so a token refused
/// mid-stream (401) is refreshed and the poll repeated with the same cursor: nothing is lost.
/// </summary>
internal sealed class LongPollChannelConnection(ChannelClient client) : ChannelConnection(client)
{
    private readonly CancellationTokenSource _life = new();
    private readonly object _lock = new();
    private CancellationTokenSource _changed = new();

    public override ChannelTransport Kind => ChannelTransport.LongPoll;

    /// <summary>The first poll answers at once: it proves the endpoint works and learns the positions.</summary>
    public override async Task OpenAsync(CancellationToken cancellationToken)
    {
        var (channels, _) = Client.Snapshot();
        if (channels.Length > 0)
        {
            try
            {
                await PollAsync(channels, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClientException ex) when (ex.Code == "bad_response")
            {
                // Not our server's answer (a proxy's page): another transport may do better.
                throw new ChannelClientException(ex.Code, ex.Message, Kind) { Fallback = true };
            }
        }
    }

    public override void ChannelsChanged()
    {
        CancellationTokenSource changed;
        lock (_lock)
        {
            changed = _changed;
        }
        changed.Cancel();
    }

    public override async Task<ConnectionEnd> RunAsync(CancellationToken cancellationToken)
    {
        using var life = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _life.Token);
        while (true)
        {
            var changed = new CancellationTokenSource();
            CancellationTokenSource previous;
            lock (_lock)
            {
                previous = _changed;
                _changed = changed;
            }
            previous.Dispose();
            // Taken after the new token is in place, so a change from now on cancels this poll.
            var (channels, _) = Client.Snapshot();
            try
            {
                if (channels.Length == 0)
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, changed.Token).WaitAsync(life.Token).ConfigureAwait(false);
                    continue;
                }
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(life.Token, changed.Token);
                await PollAsync(channels, Client.Options.LongPollTimeout, poll.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (life.IsCancellationRequested)
            {
                return new ConnectionEnd("closed", null, Reconnect: false);
            }
            catch (OperationCanceledException)
            {
                // The channel set changed: poll again with the new one (what the aborted poll held comes with it).
            }
            catch (ChannelClientException ex)
            {
                if (ex.IsAuth && await Client.RefreshAfterAsync(ex, life.Token).ConfigureAwait(false))
                {
                    // A token that expired mid-stream: the next poll carries the new one and the same cursor.
                    continue;
                }
                return new ConnectionEnd(ex.Code, ex.Message, !ex.Fatal && !ex.IsAuth, ex.Fatal || ex.IsAuth ? ex : null);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                return new ConnectionEnd("connection_lost", ex.Message, Reconnect: true);
            }
        }
    }

    private async Task PollAsync(string[] channels, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var cursor = await StreamStartAsync(channels, async (unknown, ct) =>
        {
            using var probe = await GetAsync(unknown, null, TimeSpan.Zero, ct).ConfigureAwait(false);
            return ReadCursor(probe.RootElement, unknown.Length);
        }, cancellationToken).ConfigureAwait(false);
        using var answer = await GetAsync(channels, cursor, timeout, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var root = answer.RootElement;
        var positions = ReadCursor(root, channels.Length);
        if (root.TryGetProperty("discontinuities", out var discontinuities) && discontinuities.ValueKind == JsonValueKind.Array)
        {
            foreach (var d in discontinuities.EnumerateArray())
            {
                if (PublicationJson.TryReadPosition(d, out var channel, out var position))
                {
                    await Client.DiscontinuityAsync(channel, position, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    Client.Logger.ChannelBadFrame(Kind, "a discontinuity without channel, offset or epoch");
                }
            }
        }
        if (root.TryGetProperty("publications", out var publications) && publications.ValueKind == JsonValueKind.Array)
        {
            foreach (var p in publications.EnumerateArray())
            {
                if (PublicationJson.TryRead(p, out var channel, out var position, out var eventName, out var data))
                {
                    await Client.DeliverAsync(channel, position, eventName, data, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    Client.Logger.ChannelBadFrame(Kind, "a publication without channel, offset or epoch");
                }
            }
        }
        for (var i = 0; i < channels.Length; i++)
        {
            Client.Confirmed(channels[i], positions[i], always: true);
        }
    }

    private ChannelPosition[] ReadCursor(JsonElement answer, int channels)
    {
        var cursor = answer.TryGetProperty("cursor", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        if (ChannelCursor.TryParse(cursor, channels, out var positions))
        {
            return Array.ConvertAll(positions, p => new ChannelPosition(p.Offset, p.Epoch));
        }
        Client.Logger.ChannelBadFrame(Kind, $"an answer whose cursor is not one of {channels} channel(s): {cursor ?? "(none)"}");
        throw new ChannelClientException("bad_response", "poll: the answer has no usable cursor", Kind);
    }

    private async Task<JsonDocument> GetAsync(string[] channels, string? cursor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var seconds = ((long)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        List<KeyValuePair<string, string>> query = [new("timeout", seconds)];
        if (cursor is not null)
        {
            query.Add(new("cursor", cursor));
        }
        using var request = Client.Get(Client.Endpoint(Client.Options.LongPollPath, channels, query), "application/json");
        // The server holds a poll at most `timeout`: past that and the request timeout, the connection is taken as lost.
        using var guard = new CancellationTokenSource(timeout + Client.Options.RequestTimeout, Client.Options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, guard.Token);
        try
        {
            using var response = await Client.Http.SendAsync(request, linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await HttpRefusal.ReadAsync(response, Kind, linked.Token).ConfigureAwait(false);
            }
            var body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            try
            {
                var answer = JsonDocument.Parse(body);
                if (answer.RootElement.ValueKind == JsonValueKind.Object)
                {
                    return answer;
                }
                answer.Dispose();
            }
            catch (JsonException)
            {
            }
            Client.Logger.ChannelBadFrame(Kind, "an answer that is not a JSON object");
            throw new ChannelClientException("bad_response", "poll: the answer is not a JSON object", Kind, (int)response.StatusCode);
        }
        catch (OperationCanceledException) when (guard.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ChannelClientException("timeout", $"poll: no answer within {timeout + Client.Options.RequestTimeout}", Kind);
        }
    }

    public override ValueTask DisposeAsync()
    {
        _life.Cancel();
        lock (_lock)
        {
            _changed.Cancel();
            _changed.Dispose();
        }
        _life.Dispose();
        return ValueTask.CompletedTask;
    }
}
