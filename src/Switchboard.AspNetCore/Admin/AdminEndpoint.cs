using System.Buffers;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore.Shared;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Admin;

/// <summary>
/// The admin page (docs/admin.md): its static files, a live stream of snapshots (AdminEndpoint.Stream.cs),
/// a channel's detail, publish and disconnect. Every request passes <see cref="AdminAccess"/> first.
/// This file holds the guard, the page and the actions.
/// </summary>
internal sealed partial class AdminEndpoint(SocketServer server, SwitchboardAdminOptions options, ILogger logger, CancellationToken stopping)
{
    private readonly AdminAccess _access = new(options);

    /// <summary>The page's files, embedded in this assembly (no static-file middleware can serve them without the guard).</summary>
    private static readonly Dictionary<string, (string Resource, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        [""] = ("Switchboard.Admin.index.html", "text/html; charset=utf-8"),
        ["admin.js"] = ("Switchboard.Admin.admin.js", "text/javascript; charset=utf-8"),
        ["admin.css"] = ("Switchboard.Admin.admin.css", "text/css; charset=utf-8"),
    };

    /// <summary>Wraps a handler in the credential check: 401 (with a Basic challenge) or 403 before it runs.</summary>
    public RequestDelegate Guard(RequestDelegate handler) => async context =>
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        if (_access.Check(context.Request) is { } refusal)
        {
            if (ChannelEndpointLog.Refusals(context).ShouldLog(logger, $"admin {refusal.Status} {refusal.Code}"))
            {
                AdminLog.Refused(logger, context.Request.Method, context.Request.Path, refusal.Status, refusal.Code, Remote(context));
            }
            if (refusal.Status == StatusCodes.Status401Unauthorized)
            {
                _access.Challenge(context.Response);
            }
            await ChannelRequestAuth.WriteErrorAsync(context, refusal.Status, refusal.Code, refusal.Message).ConfigureAwait(false);
            return;
        }
        await handler(context).ConfigureAwait(false);
    };

    /// <summary><c>GET {admin}/</c>, <c>admin.js</c>, <c>admin.css</c>; <c>GET {admin}</c> is sent to <c>{admin}/</c> so the page's relative URLs resolve under it.</summary>
    public async Task PageAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var name = context.Request.RouteValues["asset"] as string ?? "";
        if (name.Length == 0 && !path.EndsWith('/'))
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = $"{context.Request.PathBase}{path}/";
            return;
        }
        if (!Assets.TryGetValue(name, out var asset) || Assembly.GetExecutingAssembly().GetManifestResourceStream(asset.Resource) is not { } stream)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await using (stream.ConfigureAwait(false))
        {
            context.Response.ContentType = asset.ContentType;
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
            await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>GET {admin}/channel?ns=/&amp;channel=a</c> → <c>{"namespace","channel","top","publications":[...],"presence":{...}}</c>:
    /// the latest publications and the subscribers on every node (the same hub calls as the HTTP API's history and presence).
    /// </summary>
    public async Task ChannelAsync(HttpContext context)
    {
        var channel = context.Request.Query["channel"].ToString();
        if (ChannelNames.Problem(channel, "channel") is { } problem)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "invalid_channel", problem).ConfigureAwait(false);
            return;
        }
        if (await FindNamespaceAsync(context, context.Request.Query["ns"].ToString()) is not { } nsp)
        {
            return;
        }
        var hub = nsp.Channels;
        var read = await hub.HistoryAsync(channel, null, options.HistoryLimit, context.RequestAborted).ConfigureAwait(false);
        ChannelPresence? presence = null;
        string? presenceError = null;
        try
        {
            presence = await hub.PresenceAsync(channel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            presenceError = ex.Message;
        }
        await WriteJsonAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("namespace"u8, nsp.Name);
            w.WriteString("channel"u8, channel);
            w.WritePropertyName("top"u8);
            ChannelJson.WriteOffsetEpoch(w, read.Top);
            w.WriteStartArray("publications"u8);
            foreach (var entry in read.Entries)
            {
                ChannelJson.WritePublication(w, entry);
            }
            w.WriteEndArray();
            if (presence is not null)
            {
                w.WriteStartObject("presence"u8);
                w.WriteNumber("connections"u8, presence.Connections);
                w.WriteNumber("users"u8, presence.Users);
                ChannelJson.WriteMembers(w, presence.Members.Take(options.MaxListed));
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("presenceError"u8, presenceError);
            }
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary><c>POST {admin}/publish</c> <c>{"ns":"/","channel":"a","event":"message","data":...}</c> → <c>{"seq":N,"offset":N,"epoch":"E"}</c>.</summary>
    public async Task PublishAsync(HttpContext context)
    {
        if (await ReadBodyAsync(context) is not { } document)
        {
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            var channel = String(root, "channel");
            var eventName = String(root, "event") ?? "message";
            string? problem = root.ValueKind != JsonValueKind.Object ? "the body must be a JSON object"
                : ChannelNames.Problem(channel, "channel") ?? ChannelNames.Problem(eventName, "event")
                ?? (root.TryGetProperty("data", out _) ? null : "data is required (any JSON value, null included)");
            if (problem is not null)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, "invalid_body", problem).ConfigureAwait(false);
                return;
            }
            if (await FindNamespaceAsync(context, String(root, "ns")) is not { } nsp)
            {
                return;
            }
            PublishResult result;
            try
            {
                // Cloned: the publication outlives the request's document, in history. Not cancelled once accepted.
                result = await nsp.Channels.PublishAsync([channel!], eventName, [root.GetProperty("data").Clone()], cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (BackendFailure.IsUnavailable(ex))
            {
                await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, BackendFailure.Code, $"nothing was published: {ex.Message}").ConfigureAwait(false);
                return;
            }
            AdminLog.Published(logger, eventName, channel!, nsp.Name, result.Seq, Remote(context));
            var position = result.Positions[channel!];
            await WriteJsonAsync(context, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("seq"u8, result.Seq);
                w.WriteNumber("offset"u8, position.Offset);
                w.WriteString("epoch"u8, position.Epoch);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST {admin}/disconnect</c> <c>{"ns":"/","connectionId":"..."}</c>: as the HTTP API's disconnect, on whichever node has it; 404 when none does.</summary>
    public async Task DisconnectAsync(HttpContext context)
    {
        if (await ReadBodyAsync(context) is not { } document)
        {
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            var connectionId = root.ValueKind == JsonValueKind.Object ? String(root, "connectionId") : null;
            if (ChannelNames.Problem(connectionId, "connectionId") is { } problem)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, "invalid_body", problem).ConfigureAwait(false);
                return;
            }
            if (await FindNamespaceAsync(context, String(root, "ns")) is not { } nsp)
            {
                return;
            }
            bool found;
            try
            {
                found = await nsp.Channels.DisconnectAsync(connectionId!, "disconnected by an administrator").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "unavailable", $"the other nodes could not be asked: {ex.Message}").ConfigureAwait(false);
                return;
            }
            if (!found)
            {
                await RefuseAsync(context, StatusCodes.Status404NotFound, "connection_not_found", $"no connection '{connectionId}' on any node").ConfigureAwait(false);
                return;
            }
            AdminLog.Disconnected(logger, connectionId!, nsp.Name, Remote(context));
            await WriteJsonAsync(context, w =>
            {
                w.WriteStartObject();
                w.WriteString("connectionId"u8, connectionId);
                w.WriteBoolean("disconnected"u8, true);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The JSON body of an action. It must say <c>Content-Type: application/json</c>: a form of another site
    /// cannot send that without a CORS preflight, which the admin endpoints never approve.
    /// </summary>
    private async Task<JsonDocument?> ReadBodyAsync(HttpContext context)
    {
        if (!(context.Request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "the body must be application/json").ConfigureAwait(false);
            return null;
        }
        var (document, problem) = await JsonRequestBody.ReadAsync(context.Request, options.MaxBodySize, context.RequestAborted).ConfigureAwait(false);
        if (problem is { } refusal)
        {
            document?.Dispose();
            await RefuseAsync(context, refusal.Status, refusal.Code, refusal.Message).ConfigureAwait(false);
            return null;
        }
        return document;
    }

    /// <summary>An existing namespace (<c>/</c> when not named); a 404 answer when there is none: the admin page never creates one.</summary>
    private async Task<Namespace?> FindNamespaceAsync(HttpContext context, string? name)
    {
        name = string.IsNullOrEmpty(name) ? "/" : name;
        if (server.Namespaces.FirstOrDefault(n => n.Name == name) is { } nsp)
        {
            return nsp;
        }
        await RefuseAsync(context, StatusCodes.Status404NotFound, "namespace_not_found", $"no namespace '{name}'").ConfigureAwait(false);
        return null;
    }

    private Task RefuseAsync(HttpContext context, int status, string code, string message)
    {
        AdminLog.BadRequest(logger, status, code, message, Remote(context));
        return ChannelRequestAuth.WriteErrorAsync(context, status, code, message);
    }

    private static string? String(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Remote(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = ChannelJson.CreateWriter(buffer))
        {
            write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Json(write), context.RequestAborted).ConfigureAwait(false);
    }
}
