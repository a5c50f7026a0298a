using Switchboard.SocketIO;

namespace Switchboard.Server.Hosting;

/// <summary>
/// Wires <see cref="AllowedOrigins"/> into ASP.NET Core's CORS and the WebSocket handshakes. Browsers
/// apply no CORS to WebSockets, so the server checks their Origin itself: the Socket.IO endpoint through
/// the library's <c>Engine.AllowRequest</c> hook, the other WebSocket endpoints through
/// <see cref="RequireWebSocketOrigin"/>'s metadata and the check in <see cref="UseOriginPolicy"/>.
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
        builder.Services.PostConfigure<SocketServerOptions>(options => options.Engine.AllowRequest = origins.AllowsEngineRequest);
        return origins;
    }

    /// <summary>
    /// Adds the CORS middleware when other origins are allowed, and refuses WebSocket handshakes to
    /// endpoints marked by <see cref="RequireWebSocketOrigin"/> from origins that are not. Requests without
    /// an Origin header come from non-browser clients and pass.
    /// </summary>
    public static void UseOriginPolicy(this WebApplication app, AllowedOrigins origins)
    {
        if (!origins.IsEmpty)
        {
            app.UseCors();
        }
        app.Use((context, next) =>
        {
            if (context.WebSockets.IsWebSocketRequest
                && context.GetEndpoint()?.Metadata.GetMetadata<WebSocketOriginCheck>() is not null
                && context.Request.Headers.Origin is [{ } origin]
                && !origins.Allows(origin, context.Request.Host))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }
            return next(context);
        });
    }

    /// <summary>Applies the CORS policy to an endpoint, when other origins are allowed.</summary>
    public static TBuilder RequireOriginPolicy<TBuilder>(this TBuilder endpoint, AllowedOrigins origins)
        where TBuilder : IEndpointConventionBuilder =>
        origins.IsEmpty ? endpoint : endpoint.RequireCors(AllowedOrigins.CorsPolicyName);

    /// <summary>Refuses this endpoint's WebSocket handshakes from origins that are not allowed (403).</summary>
    public static TBuilder RequireWebSocketOrigin<TBuilder>(this TBuilder endpoint)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(WebSocketOriginCheck.Instance);

    /// <summary>Marks an endpoint whose WebSocket handshakes must come from an allowed origin.</summary>
    private sealed class WebSocketOriginCheck
    {
        public static readonly WebSocketOriginCheck Instance = new();
    }
}
