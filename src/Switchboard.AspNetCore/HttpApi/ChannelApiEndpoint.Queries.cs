using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchboard.Channels;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.HttpApi;

internal sealed partial class ChannelApiEndpoint
{
    /// <summary>
    /// <c>GET history?channel=a[&amp;since=N&amp;epoch=E][&amp;limit=N]</c> → <c>{"channel","publications":[...],"top":{...},"continuous":bool}</c>.
    /// Without a position, the latest publications; with one, those after it, or <c>continuous:false</c> when it is gone.
    /// </summary>
    public async Task HistoryAsync(HttpContext context)
    {
        if (await AuthenticateAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }
        var query = context.Request.Query;
        var problem = ReadChannel(context.Request, caller, out var channel);
        StreamPosition? since = null;
        var limit = options.DefaultHistoryLimit;
        if (problem is null)
        {
            var sinceText = query["since"].ToString();
            var epoch = query["epoch"].ToString();
            if ((sinceText.Length == 0) != (epoch.Length == 0))
            {
                problem = BadRequest("invalid_position", "since and epoch go together: give both or neither");
            }
            else if (sinceText.Length > 0)
            {
                since = long.TryParse(sinceText, NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                    ? new StreamPosition(offset, epoch)
                    : null;
                problem = since is null ? BadRequest("invalid_position", "since must be an offset: a whole number, 0 or more") : null;
            }
        }
        if (problem is null && query["limit"].ToString() is { Length: > 0 } limitText)
        {
            problem = int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit > 0
                ? null
                : BadRequest("invalid_limit", "limit must be a whole number, 1 or more");
            limit = Math.Min(limit, options.MaxHistoryLimit);
        }
        if (problem is { } refusal)
        {
            await refusal.WriteAsync(context, logger, Name).ConfigureAwait(false);
            return;
        }

        var read = await hub.HistoryAsync(channel, since, limit, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("channel"u8, channel);
            w.WriteStartArray("publications"u8);
            foreach (var entry in read.Entries)
            {
                ChannelJson.WritePublication(w, entry);
            }
            w.WriteEndArray();
            w.WritePropertyName("top"u8);
            ChannelJson.WriteOffsetEpoch(w, read.Top);
            w.WriteBoolean("continuous"u8, read.Continuous);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET presence?channel=a</c> → <c>{"channel":"a","connections":N,"users":U,"members":[{"connectionId","userId","protocol","node"}]}</c>:
    /// subscribers of every protocol on every node of the cluster (503 when a node does not answer in time).
    /// </summary>
    public async Task PresenceAsync(HttpContext context)
    {
        if (await AuthenticateAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }
        if (ReadChannel(context.Request, caller, out var channel) is { } refusal)
        {
            await refusal.WriteAsync(context, logger, Name).ConfigureAwait(false);
            return;
        }
        ChannelPresence presence;
        try
        {
            presence = await hub.PresenceAsync(channel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A node that does not answer in time, or Redis out of reach: not an answer to give as complete.
            await new RequestProblem(StatusCodes.Status503ServiceUnavailable, "unavailable", $"presence could not be gathered: {ex.Message}").WriteAsync(context, logger, Name).ConfigureAwait(false);
            return;
        }
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("channel"u8, channel);
            w.WriteNumber("connections"u8, presence.Connections);
            w.WriteNumber("users"u8, presence.Users);
            ChannelJson.WriteMembers(w, presence.Members);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary><c>POST disconnect</c> <c>{"connectionId":"..."}</c> → 200, or 404 when no node has such a connection.</summary>
    public async Task DisconnectAsync(HttpContext context)
    {
        if (await AuthenticateAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }
        var (document, problem) = await JsonRequestBody.ReadAsync(context.Request, options.MaxBodySize, context.RequestAborted).ConfigureAwait(false);
        using (document)
        {
            string? connectionId = null;
            if (problem is null)
            {
                var root = document!.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    problem = BadRequest("invalid_body", "the body must be a JSON object");
                }
                else if (!TryGet(root, "connectionId", out var idElement))
                {
                    problem = BadRequest("missing_field", "connectionId is required");
                }
                else if ((connectionId = ReadName(idElement, "connectionId")) is null)
                {
                    problem = NameProblem(idElement, "connectionId");
                }
                else if (!caller.Unrestricted)
                {
                    problem = Forbidden("this key may not disconnect connections");
                }
            }
            if (problem is null)
            {
                try
                {
                    if (!await hub.DisconnectAsync(connectionId!).ConfigureAwait(false))
                    {
                        problem = new RequestProblem(StatusCodes.Status404NotFound, "connection_not_found", $"no connection '{connectionId}' on any node");
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    problem = new RequestProblem(StatusCodes.Status503ServiceUnavailable, "unavailable", $"the other nodes could not be asked: {ex.Message}");
                }
            }
            if (problem is { } refusal)
            {
                await refusal.WriteAsync(context, logger, Name).ConfigureAwait(false);
                return;
            }
            ChannelEndpointLog.Disconnected(logger, connectionId!);
            await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
            {
                w.WriteStartObject();
                w.WriteString("connectionId"u8, connectionId);
                w.WriteBoolean("disconnected"u8, true);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }
    }

    /// <summary>The one <c>channel</c> query parameter: valid (400) and readable with this key (403).</summary>
    private static RequestProblem? ReadChannel(HttpRequest request, ApiCaller caller, out string channel)
    {
        var values = request.Query["channel"];
        channel = values.ToString();
        if (values.Count != 1)
        {
            return BadRequest(values.Count == 0 ? "channel_missing" : "invalid_channel", "exactly one channel is required");
        }
        if (ChannelNames.Problem(channel, "a channel name") is { } problem)
        {
            return BadRequest("invalid_channel", problem);
        }
        return caller.Grant.CanSubscribe(channel) ? null : Forbidden($"this key may not read '{channel}'");
    }
}
