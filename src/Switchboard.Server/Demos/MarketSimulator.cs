using Microsoft.Extensions.Options;
using Switchboard.SocketIO;

namespace Switchboard.Server.Demos;

/// <summary>One price of the ticker demo, published to <c>prices.&lt;SYMBOL&gt;</c> as event <c>price</c>.</summary>
/// <param name="Change">Since the market opened (process start), in currency units.</param>
/// <param name="Time">Unix milliseconds.</param>
internal sealed record PriceTick(string Symbol, decimal Price, decimal Change, decimal ChangePercent, long Time);

/// <summary>
/// A simulated market for the ticker demo: every <see cref="DemoOptions.TickerInterval"/> each symbol's
/// price takes a random-walk step and is published through the main namespace's channels, so Socket.IO,
/// SSE, WebSocket and long-poll clients all see it. The walk is seeded: a given seed always produces the
/// same prices in the same order.
/// </summary>
internal sealed class MarketSimulator(SocketServer io, IOptions<DemoOptions> options, TimeProvider time, ILogger<MarketSimulator> logger) : BackgroundService
{
    public const string EventName = "price";

    public static string Channel(string symbol) => "prices." + symbol;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.TickerInterval == TimeSpan.Zero)
        {
            return;
        }
        var market = new Market(settings.Symbols, settings.TickerSeed);
        var hub = io.Main.Channels;
        using var timer = new PeriodicTimer(settings.TickerInterval, time);
        try
        {
            var failing = false;
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                try
                {
                    foreach (var tick in market.Step(now))
                    {
                        await hub.PublishAsync([Channel(tick.Symbol)], EventName, [tick], cancellationToken: stoppingToken).ConfigureAwait(false);
                    }
                    failing = false;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A store that is out of reach (a cluster's Redis restarting): the market goes on, and
                    // says so once per outage.
                    if (!failing)
                    {
                        DemoLog.MarketPaused(logger, ex.Message);
                    }
                    failing = true;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            DemoLog.MarketFailed(logger, ex);
        }
    }

    /// <summary>The prices and their random walk; pure, so the same seed gives the same sequence.</summary>
    internal sealed class Market
    {
        private static readonly Dictionary<string, decimal> s_opening = new(StringComparer.Ordinal)
        {
            ["AAPL"] = 189.50m, ["MSFT"] = 412.30m, ["GOOG"] = 171.20m, ["AMZN"] = 182.75m, ["NVDA"] = 121.40m,
        };

        private readonly string[] _symbols;
        private readonly decimal[] _open;
        private readonly decimal[] _price;
        private readonly Random _random;

        public Market(IReadOnlyList<string> symbols, int seed)
        {
            _symbols = [.. symbols];
            _random = new Random(seed);
            _open = [.. _symbols.Select(s => s_opening.TryGetValue(s, out var p) ? p : 50m + _random.Next(0, 45000) / 100m)];
            _price = [.. _open];
        }

        /// <summary>Moves every price by at most ±0.4 % and returns the new ticks.</summary>
        public PriceTick[] Step(long time)
        {
            var ticks = new PriceTick[_symbols.Length];
            for (var i = 0; i < _symbols.Length; i++)
            {
                var step = (decimal)((_random.NextDouble() - 0.5) * 0.008);
                _price[i] = Math.Max(0.01m, Math.Round(_price[i] * (1 + step), 2));
                var change = _price[i] - _open[i];
                ticks[i] = new PriceTick(_symbols[i], _price[i], change, Math.Round(change / _open[i] * 100, 2), time);
            }
            return ticks;
        }
    }
}
