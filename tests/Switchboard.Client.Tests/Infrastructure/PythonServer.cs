using System.Diagnostics;

namespace Switchboard.Client.Tests.Infrastructure;

/// <summary>
/// A third-party Socket.IO server for the client's tests: Debian's python3-socketio with aiohttp
/// (tests/interop/dotnet-client/python-echo-server.py), with the handlers of <see cref="TestServers"/>.
/// test.sh installs python3-socketio and python3-aiohttp; the system Python runs it (PYTHON overrides).
/// </summary>
public sealed class PythonServer : IAsyncLifetime
{
    private Process? _process;
    private Task<string>? _errors;

    public Uri Uri { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var script = Path.Combine(TestServers.RepoRoot(), "tests", "interop", "dotnet-client", "python-echo-server.py");
        var python = Environment.GetEnvironmentVariable("PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";
        var start = new ProcessStartInfo(python, [script, "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{python} did not start");
        _process = process;
        var errors = _errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException("python-echo-server.py exited: " + await errors);
            if (line.StartsWith("listening ", StringComparison.Ordinal))
            {
                Uri = new Uri($"http://127.0.0.1:{int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture)}/");
                return;
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        _process?.Dispose();
    }
}
