namespace Switchboard.Server.Demos;

/// <summary>
/// Settings of the demo pages, section <c>Switchboard:Demos</c> (docs in README, "Demos"). Intervals of
/// zero turn a demo's producer off.
/// </summary>
internal sealed class DemoOptions
{
    public const string SectionName = "Switchboard:Demos";

    /// <summary>How often the simulated market publishes a price for every symbol. Default 0.5 s; zero stops the market.</summary>
    public TimeSpan TickerInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The symbols traded, each published to <c>prices.&lt;SYMBOL&gt;</c>. Default AAPL, MSFT, GOOG, AMZN, NVDA.</summary>
    public string[] TickerSymbols { get; set; } = [];

    /// <summary>The seed of the market's random walk: the same seed gives the same sequence of prices.</summary>
    public int TickerSeed { get; set; } = 7;

    /// <summary>The pause between two tokens of a generated answer. Default 80 ms.</summary>
    public TimeSpan StreamTokenInterval { get; set; } = TimeSpan.FromMilliseconds(80);

    /// <summary>How many answers may be generated at once; more get 429. Default 32.</summary>
    public int StreamMaxConcurrent { get; set; } = 32;

    public static readonly string[] DefaultSymbols = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA"];

    public string[] Symbols => TickerSymbols.Length > 0 ? TickerSymbols : DefaultSymbols;

    public void Validate()
    {
        if (TickerInterval < TimeSpan.Zero || StreamTokenInterval < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{SectionName}: TickerInterval and StreamTokenInterval must not be negative.");
        }
        if (StreamMaxConcurrent < 1)
        {
            throw new InvalidOperationException($"{SectionName}:StreamMaxConcurrent must be at least 1.");
        }
        foreach (var symbol in Symbols)
        {
            if (symbol.Length is 0 or > 12 || !symbol.All(char.IsAsciiLetterOrDigit))
            {
                throw new InvalidOperationException($"{SectionName}:TickerSymbols: '{symbol}' is not a symbol (1 to 12 ASCII letters or digits).");
            }
        }
    }
}
