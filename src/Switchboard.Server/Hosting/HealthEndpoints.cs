using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.AspNetCore;

namespace Switchboard.Server.Hosting;

/// <summary>
/// <c>/healthz</c> (liveness: the process answers; it runs no check, so it never depends on Redis) and
/// <c>/readyz</c> (readiness: every check tagged <c>ready</c>: listening and not draining, and in a
/// cluster Redis reachable and the node registered). Both answer 200 or 503 with a short JSON body
/// naming each check's status (docs/operations.md).
/// </summary>
internal static class HealthEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    public static void AddHealth(this WebApplicationBuilder builder) =>
        builder.Services.AddHealthChecks().AddSwitchboard();

    public static void MapHealth(this WebApplication app)
    {
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(SwitchboardHealthChecksBuilderExtensions.ReadyTag),
            ResponseWriter = WriteAsync,
        });
    }

    /// <summary>
    /// <c>{"status":"Unhealthy","checks":{"switchboard":{"status":"Healthy","description":"listening"},
    /// "redis":{"status":"Unhealthy","description":"…","node":"…","redis":"10.0.0.7:6379"}}}</c>
    /// </summary>
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            if (entry.Description is { } description)
            {
                json.WriteString("description", description);
            }
            foreach (var (key, value) in entry.Data)
            {
                switch (value)
                {
                    case double number:
                        json.WriteNumber(key, number);
                        break;
                    default:
                        json.WriteString(key, value?.ToString());
                        break;
                }
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
