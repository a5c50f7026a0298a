using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.AspNetCore.Auth;
using Switchboard.AspNetCore.Shared;
using Switchboard.AspNetCore.Transports.LongPoll;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;
using static Switchboard.Fuzz.FuzzCheckException;

namespace Switchboard.Fuzz.Targets;

/// <summary>
/// The query strings of the SSE and long-poll endpoints, through what the endpoints run before they
/// subscribe: ASP.NET Core's query parser, the token lookup and JWT authorizer (anonymous access on, so
/// a request without a token goes on), the channel list checks, the cursor (and for SSE the
/// <c>Last-Event-ID</c> header), the long-poll timeout. The input is the query string after <c>?</c>; for
/// SSE, a first line is the <c>Last-Event-ID</c> header.
/// </summary>
internal static class ChannelQueryTargets
{
    private const int MaxChannels = 8;
    private static readonly IServiceProvider Services = CreateServices();
    private static readonly LongPollOptions LongPoll = new() { MaxChannels = MaxChannels };

    public static void RunServerSentEvents(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        var newline = text.IndexOf('\n');
        var context = Request(newline < 0 ? text : text[(newline + 1)..]);
        if (newline >= 0)
        {
            context.Request.Headers["Last-Event-ID"] = text[..newline];
        }
        if (Accept(context) is { } channels)
        {
            CheckCursor(ChannelSubscription.ReadCursor(context.Request, "lastEventId", lastEventIdHeader: true), channels);
        }
    }

    public static void RunLongPoll(ReadOnlySpan<byte> input)
    {
        var context = Request(Encoding.UTF8.GetString(input));
        if (Accept(context) is not { } channels)
        {
            return;
        }
        if (LongPollEndpoint.ReadTimeout(context.Request, LongPoll) is { } timeout)
        {
            Check(timeout >= TimeSpan.Zero && timeout <= LongPoll.MaxTimeout, "a timeout outside 0..MaxTimeout");
        }
        CheckCursor(ChannelSubscription.ReadCursor(context.Request, "cursor", lastEventIdHeader: false), channels);
    }

    private static DefaultHttpContext Request(string query)
    {
        var context = new DefaultHttpContext { RequestServices = Services };
        context.Request.Method = "GET";
        context.Request.QueryString = new QueryString("?" + query);
        return context;
    }

    /// <summary>The channels of an accepted request, or null when it was refused (with a 4xx status).</summary>
    private static string[]? Accept(DefaultHttpContext context)
    {
        var accepted = ChannelSubscription.AcceptAsync(context, MaxChannels, "fuzz", NullLogger.Instance).GetAwaiter().GetResult();
        if (accepted is not { } a)
        {
            Check(context.Response.StatusCode is >= 400 and < 500, $"a refusal with status {context.Response.StatusCode}");
            return null;
        }
        Check(a.Channels.Length is >= 1 and <= MaxChannels, "an accepted request with a channel count out of bounds");
        Check(a.Channels.Distinct(StringComparer.Ordinal).Count() == a.Channels.Length, "an accepted request with a channel twice");
        foreach (var channel in a.Channels)
        {
            Check(ChannelNames.Problem(channel, "channel") is null && a.Grant.CanSubscribe(channel), "an accepted channel that is invalid or not granted");
        }
        return a.Channels;
    }

    private static void CheckCursor(string? cursor, string[] channels)
    {
        if (ChannelCursor.TryParse(cursor, channels.Length, out var positions))
        {
            Check(positions.Length == channels.Length && ChannelCursor.Format(positions) is { Length: > 0 }, "a cursor read for another number of channels");
        }
    }

    private static ServiceProvider CreateServices()
    {
        var options = new JwtAuthorizerOptions { Secret = JwtClaimsTarget.Secret, RequireExpiration = false };
        options.Anonymous.Enabled = true;
        options.Anonymous.Subscribe.Add("*");
        return new ServiceCollection()
            .AddSingleton<IChannelAuthorizer>(new JwtChannelAuthorizer(options, JwtClaimsTarget.Clock))
            .BuildServiceProvider();
    }
}
