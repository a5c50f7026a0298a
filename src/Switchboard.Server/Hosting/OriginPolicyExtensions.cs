namespace Switchboard.Server.Hosting;

/// <summary>Wires <see cref="AllowedOrigins"/> into ASP.NET Core's CORS and the WebSocket handshake.</summary>
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
        return origins;
    }

    /// <summary>
    /// Adds the CORS middleware when other origins are allowed, and refuses WebSocket handshakes from
    /// origins that are not: browsers apply no CORS to WebSockets, so the server has to. Requests
    /// without an Origin header come from non-browser clients and pass.
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
                && context.Request.Headers.Origin is [{ } origin]
                && !origins.Allows(origin, context.Request.Host))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }
            return next(context);
        });
    }

    public static TBuilder RequireOriginPolicy<TBuilder>(this TBuilder endpoint, AllowedOrigins origins)
        where TBuilder : IEndpointConventionBuilder =>
        origins.IsEmpty ? endpoint : endpoint.RequireCors(AllowedOrigins.CorsPolicyName);
}
