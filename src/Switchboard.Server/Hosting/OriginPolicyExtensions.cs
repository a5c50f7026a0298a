using Microsoft.Extensions.Primitives;
using Switchboard.SocketIO;

namespace Switchboard.Server.Hosting;

/// <summary>
/// Wires <see cref="AllowedOrigins"/> into ASP.NET Core's CORS and the WebSocket handshakes. Browsers
/// apply no CORS to WebSockets, so the server checks their Origin itself: the Socket.IO endpoint through
/// the library's <c>Engine.AllowRequest</c> hook, the other WebSocket endpoints through
/// <see cref="RequireWebSocketOrigin"/>'s metadata and the check in <see cref="UseOriginPolicy"/>. Every
/// foreign Origin met is logged by <see cref="OriginGuard"/>.
/// </summary>
internal static class OriginPolicyExtensions
{
    public static AllowedOrigins AddOriginPolicy(this WebApplicationBuilder builder, IConfigurationSection section)
    {
        var origins = AllowedOrigins.Read(section);
        if (!origins.IsEmpty)
        {
            builder.Services.AddCors(cors => cors.AddPolicy(AllowedOrigins.CorsPolicyName, policy => policy
                .WithOrigins([.. origins.Origins])
                .WithMethods(HttpMethods.Get, HttpMethods.Post)
                .AllowAnyHeader()
                .AllowCredentials()));
        }
        builder.Services.AddSingleton(origins);
        builder.Services.AddSingleton<OriginGuard>();
        // The guard needs the server's refusal-log throttle, which the server makes from these options:
        // it is looked up at the first request, not while the options are being built.
        builder.Services.AddOptions<SocketServerOptions>().PostConfigure<IServiceProvider>((options, services) =>
        {
            OriginGuard? guard = null;
            options.Engine.AllowRequest = request => (guard ??= services.GetRequiredService<OriginGuard>()).AllowsEngineRequest(request);
        });
        return origins;
    }

    /// <summary>
    /// Adds the CORS middleware when other origins are allowed, refuses WebSocket handshakes to endpoints
    /// marked by <see cref="RequireWebSocketOrigin"/> from origins that are not, and logs the requests from
    /// such origins that CORS answers without its headers. Requests without an Origin header come from
    /// non-browser clients and pass.
    /// </summary>
    public static void UseOriginPolicy(this WebApplication app, AllowedOrigins origins)
    {
        if (!origins.IsEmpty)
        {
            app.UseCors();
        }
        var guard = app.Services.GetRequiredService<OriginGuard>();
        app.Use((context, next) =>
        {
            var request = context.Request;
            if (request.Headers.Origin is not [{ } origin] || context.GetEndpoint()?.Metadata is not { } metadata)
            {
                return next(context);
            }
            var path = request.PathBase + request.Path;
            if (context.WebSockets.IsWebSocketRequest && metadata.GetMetadata<WebSocketOriginCheck>() is not null)
            {
                if (!guard.AllowsWebSocket(origin, request.Host, path))
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                }
            }
            // A connection's first request only (a Socket.IO poll of an open session has a sid), not a preflight.
            else if (metadata.GetMetadata<CorsOriginNotice>() is not null
                && !HttpMethods.IsOptions(request.Method)
                && StringValues.IsNullOrEmpty(request.Query["sid"]))
            {
                guard.NoteCors(origin, request.Host, path);
            }
            return next(context);
        });
    }

    /// <summary>Applies the CORS policy to an endpoint, when other origins are allowed, and logs foreign origins.</summary>
    public static TBuilder RequireOriginPolicy<TBuilder>(this TBuilder endpoint, AllowedOrigins origins)
        where TBuilder : IEndpointConventionBuilder
    {
        endpoint.WithMetadata(CorsOriginNotice.Instance);
        return origins.IsEmpty ? endpoint : endpoint.RequireCors(AllowedOrigins.CorsPolicyName);
    }

    /// <summary>Refuses this endpoint's WebSocket handshakes from origins that are not allowed (403).</summary>
    public static TBuilder RequireWebSocketOrigin<TBuilder>(this TBuilder endpoint)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(WebSocketOriginCheck.Instance);

    /// <summary>Marks an endpoint whose WebSocket handshakes must come from an allowed origin.</summary>
    private sealed class WebSocketOriginCheck
    {
        public static readonly WebSocketOriginCheck Instance = new();
    }

    /// <summary>Marks an endpoint under the CORS policy, whose requests from foreign origins are logged.</summary>
    private sealed class CorsOriginNotice
    {
        public static readonly CorsOriginNotice Instance = new();
    }
}
