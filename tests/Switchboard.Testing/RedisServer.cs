using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Switchboard.Testing;

/// <summary>
/// A real redis-server of this test run: started on a free loopback port, in memory only
/// (<c>--save "" --appendonly no</c>) with its own temporary directory, and killed at the end. The
/// binary is <c>REDIS_SERVER_PATH</c> (test.sh exports it) or redis-server on the PATH or in /usr/bin
/// or /usr/sbin. It is ready when it logs "Ready to accept connections". One instance per test class
/// (xunit class fixture), so classes that flush or stop their server do not disturb the others.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly string _directory = Directory.CreateTempSubdirectory("switchboard-redis-").FullName;
    private Process? _process;
    private ConnectionMultiplexer? _connection;

    public int Port { get; private set; }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>A connection for tests and stores (admin commands allowed, for FLUSHALL).</summary>
    public ConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("The server is not started.");

    public async Task InitializeAsync()
    {
        // The free port is found by binding port 0 and letting go of it; should another process take
        // it before redis-server binds it, try another.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            try
            {
                await StartAsync();
                break;
            }
            catch (RedisServerStartException) when (attempt < 3)
            {
            }
        }
        _connection = await ConnectionMultiplexer.ConnectAsync($"{Endpoint},allowAdmin=true");
    }

    /// <summary>Starts redis-server on <see cref="Port"/> (again, after <see cref="StopAsync"/>: it comes back empty).</summary>
    public async Task StartAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("redis-server is already running.");
        }
        var start = new ProcessStartInfo(FindBinary())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", _directory, "--daemonize", "no", "--logfile", "",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new RedisServerStartException("redis-server did not start.");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new RedisServerStartException($"redis-server exited before it was ready:\n{string.Join('\n', log)}"));
                return;
            }
            log.Enqueue(e.Data);
            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                log.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(StartTimeout);
        }
        catch
        {
            await KillAsync(process);
            throw;
        }
        _process = process;
    }

    /// <summary>Kills redis-server (SIGKILL, as a crash) and waits until it has exited.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            await KillAsync(process);
        }
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A loopback port nothing listens on (at the moment of asking).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task KillAsync(Process process)
    {
        using (process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            await process.WaitForExitAsync().WaitAsync(StartTimeout);
        }
    }

    private static string FindBinary()
    {
        if (Environment.GetEnvironmentVariable("REDIS_SERVER_PATH") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"REDIS_SERVER_PATH={configured} does not exist.");
        }
        var path = Environment.GetEnvironmentVariable("PATH")?.Split(Path.PathSeparator) ?? [];
        foreach (var directory in path.Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"]))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("redis-server not found: install it (apt-get install redis-server) or set REDIS_SERVER_PATH.");
    }

    private sealed class RedisServerStartException(string message) : Exception(message);
}
