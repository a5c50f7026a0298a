using System.Diagnostics;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>
/// The status line of a long run, on stderr: rewritten in place on a terminal, one line every few
/// seconds otherwise. Scenarios set <see cref="Stage"/> and <see cref="Detail"/>; a timer prints them.
/// </summary>
internal sealed class Progress : IDisposable
{
    private readonly Timer _timer;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch _runClock = Stopwatch.StartNew();
    private long _lastPrinted;
    private int _lastLength;

    public Progress()
    {
        _timer = new Timer(_ => Print(), null, 1000, 1000);
    }

    public string Header { get; set; } = "";

    public string Stage { get; set; } = "";

    public Func<string>? Detail { get; set; }

    public void Log(string line)
    {
        lock (this)
        {
            ClearLine();
            Console.Error.WriteLine($"[{Elapsed()}] {line}");
        }
    }

    private void Print()
    {
        lock (this)
        {
            var now = _runClock.ElapsedMilliseconds;
            if (!_interactive && now - _lastPrinted < 5000)
            {
                return;
            }
            _lastPrinted = now;
            string detail;
            try
            {
                detail = Detail?.Invoke() ?? "";
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException)
            {
                detail = "";
            }
            var line = $"[{Elapsed()}] {Header} {Stage} {detail}".TrimEnd();
            if (_interactive)
            {
                int width;
                try
                {
                    width = Math.Max(40, Console.WindowWidth - 1);
                }
                catch (IOException)
                {
                    width = 160;
                }
                line = line.Length > width ? line[..width] : line;
                Console.Error.Write("\r" + line.PadRight(_lastLength));
                _lastLength = line.Length;
            }
            else
            {
                Console.Error.WriteLine(line);
            }
        }
    }

    private void ClearLine()
    {
        if (_interactive && _lastLength > 0)
        {
            Console.Error.Write("\r" + new string(' ', _lastLength) + "\r");
            _lastLength = 0;
        }
    }

    private string Elapsed() => _runClock.Elapsed.ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _timer.Dispose();
        lock (this)
        {
            ClearLine();
        }
    }
}
