using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchboard.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Middleware that tells tests when a request has reached the server. HTTP gives a client no signal
/// that its long poll is being held; this is that signal.
/// </summary>
public sealed class RequestWatcher
{
    private readonly List<(Func<HttpRequest, bool> Match, TaskCompletionSource Arrived)> _watchers = [];

    public void Install(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        Arrived(context.Request);
        await next(context);
    });

    /// <summary>Completes when a matching request arrives; call it before sending the request.</summary>
    public Task WhenArrives(Func<HttpRequest, bool> match)
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_watchers)
        {
            _watchers.Add((match, arrived));
        }
        return arrived.Task.Within();
    }

    public Task WhenPollArrives(string sid) =>
        WhenArrives(r => HttpMethods.IsGet(r.Method) && r.Query["transport"] == "polling" && r.Query["sid"] == sid);

    private void Arrived(HttpRequest request)
    {
        lock (_watchers)
        {
            for (var i = _watchers.Count - 1; i >= 0; i--)
            {
                if (_watchers[i].Match(request))
                {
                    _watchers[i].Arrived.TrySetResult();
                    _watchers.RemoveAt(i);
                }
            }
        }
    }
}
