using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Suite;

/// <summary>
/// A server under test, started as its own process (pinned to a core with taskset when asked), with
/// its output in a log file. Ready once its port accepts a connection.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServerProcess(Process process, StreamWriter log, int port, ServerSpec spec)
    {
        _process = process;
        _log = log;
        Port = port;
        Spec = spec;
    }

    public ServerSpec Spec { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public Uri BaseUri => new($"http://127.0.0.1:{Port}");

    public bool HasExited => _process.HasExited;

    public static async Task<ServerProcess> StartAsync(ServerSpec spec, BenchPaths paths, int port, int? core, string logFile, IDictionary<string, string> environment)
    {
        var (file, args) = spec.Command(paths, port);
        var info = new ProcessStartInfo
        {
            FileName = core is null ? file : "taskset",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = paths.Root,
        };
        if (core is { } c)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(c.ToString(System.Globalization.CultureInfo.InvariantCulture));
            info.ArgumentList.Add(file);
        }
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        // The generator's own socket settings (--pacing epoll) are not the server's.
        GeneratorSockets.Scrub(info.Environment);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["NODE_ENV"] = "production";
        if (file == "dotnet")
        {
            // Reach steady-state code within the warm-up: with the defaults (call counting after a
            // 100 ms quiet period, then an instrumented tier for dynamic PGO), hot methods of a busy
            // server on a loaded machine were still unoptimized tier-0 code 20 s after the start.
            // Same settings for every .NET server (Switchboard, SignalR, ceiling); --server-env overrides.
            info.Environment["DOTNET_TieredPGO"] = "0";
            info.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
        }
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        await log.WriteLineAsync($"# {DateTime.UtcNow:O} {info.FileName} {string.Join(' ', info.ArgumentList)}");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, log, port, spec);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{spec.Display} exited with code {process.ExitCode} before listening (see {logFile})");
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                server.Dispose();
                throw new TimeoutException($"{spec.Display} did not listen on port {port} within 60 s (see {logFile})");
            }
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                break;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        // Let the server finish starting (the probe's connection closes, startup work settles).
        await Task.Delay(300);
        return server;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                if (_process.WaitForExit(10_000))
                {
                    // Also waits for the output readers to finish.
                    _process.WaitForExit();
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
