using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.AspNetCore.Admin;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore;

/// <summary>Maps the admin page of the registered <see cref="SocketServer"/> (docs/admin.md).</summary>
public static class SwitchboardAdminEndpointRouteBuilderExtensions
{
    /// <summary>
    /// The admin page under <paramref name="pattern"/>: the page itself, <c>stream</c> (live snapshots over
    /// SSE), <c>channel</c> (a channel's history and presence), <c>publish</c> and <c>disconnect</c>, all
    /// behind the credential of <paramref name="configure"/>, which must set one (a Password or Keys).
    /// </summary>
    public static IEndpointConventionBuilder MapSwitchboardAdmin(this IEndpointRouteBuilder endpoints, string pattern, Action<SwitchboardAdminOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new SwitchboardAdminOptions();
        configure(options);
        options.Validate();
        var services = endpoints.ServiceProvider;
        var server = services.GetService<SocketServer>()
            ?? throw new InvalidOperationException($"Call services.AddSwitchboard() before {nameof(MapSwitchboardAdmin)}.");
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(AdminLog.Category);
        var stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        var admin = new AdminEndpoint(server, options, logger, stopping);

        var group = endpoints.MapGroup(pattern);
        group.MapGet("/", admin.Guard(admin.PageAsync)).WithDisplayName($"Admin page {pattern}");
        group.MapGet("/{asset:regex(^admin\\.(js|css)$)}", admin.Guard(admin.PageAsync)).WithDisplayName($"Admin page assets {pattern}");
        group.MapGet("/stream", admin.Guard(admin.StreamAsync)).WithDisplayName($"Admin stream {pattern}");
        group.MapGet("/channel", admin.Guard(admin.ChannelAsync)).WithDisplayName($"Admin channel {pattern}");
        group.MapPost("/publish", admin.Guard(admin.PublishAsync)).WithDisplayName($"Admin publish {pattern}");
        group.MapPost("/disconnect", admin.Guard(admin.DisconnectAsync)).WithDisplayName($"Admin disconnect {pattern}");
        return group;
    }
}
