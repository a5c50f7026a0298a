using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Transports;

internal static class EngineRequestFactory
{
    public static EngineRequest Create(HttpContext context, TimeProvider time)
    {
        var query = new Dictionary<string, string>(context.Request.Query.Count, StringComparer.Ordinal);
        foreach (var (key, value) in context.Request.Query)
        {
            query[key] = value.ToString();
        }
        var headers = new Dictionary<string, string>(context.Request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in context.Request.Headers)
        {
            headers[key.ToLowerInvariant()] = value.ToString();
        }
        return new EngineRequest(
            context.Request.GetEncodedPathAndQuery(),
            query,
            headers,
            context.Connection.RemoteIpAddress,
            context.Request.IsHttps,
            time.GetUtcNow());
    }
}
