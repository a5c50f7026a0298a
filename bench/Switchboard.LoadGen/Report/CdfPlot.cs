using System.Globalization;
using System.Security;
using System.Text;
using Switchboard.LoadGen.Measure;

namespace Switchboard.LoadGen.Report;

/// <summary>
/// A latency CDF as a self-contained SVG: latency on a log axis, the cumulative fraction on a "nines"
/// axis (50%, 90%, 99%, 99.9%, 99.99%) so the tail is as visible as the median. One line per server.
/// </summary>
internal static class CdfPlot
{
    private const int Width = 760;
    private const int Height = 440;
    private const int Left = 70;
    private const int Right = 180;
    private const int Top = 40;
    private const int Bottom = 50;
    private const double MaxNines = 4;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly Dictionary<string, (string Color, string Dash)> Styles = new()
    {
        ["switchboard"] = ("#1f5fbf", ""),
        ["switchboard-b"] = ("#6f9fe8", "6 3"),
        ["socketio"] = ("#c8322a", ""),
        ["signalr"] = ("#2f9e44", ""),
        ["ceiling"] = ("#555555", "2 3"),
        ["ceiling-corked"] = ("#999999", "8 3 2 3"),
    };

    public static string Render(string title, IReadOnlyList<(string Server, LatencyHistogram Histogram)> series)
    {
        var points = series.Where(s => s.Histogram.Count > 0).Select(s => (s.Server, Cdf: s.Histogram.Cdf().ToList())).ToList();
        var all = points.SelectMany(p => p.Cdf.Select(c => c.Nanoseconds)).Where(v => v > 0).ToList();
        var minMs = all.Count == 0 ? 0.01 : all.Min() / 1e6;
        var maxMs = all.Count == 0 ? 10 : all.Max() / 1e6;
        var lo = Math.Floor(Math.Log10(Math.Max(minMs, 1e-3)));
        var hi = Math.Ceiling(Math.Log10(Math.Max(maxMs, minMs * 10)));
        if (hi <= lo)
        {
            hi = lo + 1;
        }
        double X(double ms) => Left + (Math.Log10(Math.Max(ms, Math.Pow(10, lo))) - lo) / (hi - lo) * (Width - Left - Right);
        double Y(double fraction)
        {
            var nines = fraction >= 1 ? MaxNines : Math.Min(MaxNines, -Math.Log10(1 - fraction));
            return Height - Bottom - nines / MaxNines * (Height - Top - Bottom);
        }

        var svg = new StringBuilder();
        svg.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(Inv, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        svg.AppendLine(Inv, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{SecurityElement.Escape(title)}</text>");
        // Grid and axes.
        for (var d = lo; d <= hi; d++)
        {
            for (var m = 1; m < 10; m++)
            {
                var ms = m * Math.Pow(10, d);
                if (ms > Math.Pow(10, hi))
                {
                    break;
                }
                var x = X(ms);
                svg.AppendLine(Inv, $"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{Height - Bottom}\" stroke=\"{(m == 1 ? "#ccc" : "#eee")}\"/>");
                if (m == 1)
                {
                    svg.AppendLine(Inv, $"<text x=\"{x:0.#}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{FormatMs(ms)}</text>");
                }
            }
        }
        foreach (var (fraction, label) in new[] { (0.0, "0%"), (0.5, "50%"), (0.9, "90%"), (0.99, "99%"), (0.999, "99.9%"), (0.9999, "99.99%") })
        {
            var y = Y(fraction);
            svg.AppendLine(Inv, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"#ddd\"/>");
            svg.AppendLine(Inv, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{label}</text>");
        }
        svg.AppendLine(Inv, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#888\"/>");
        svg.AppendLine(Inv, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">latency (ms, log scale)</text>");
        svg.AppendLine(Inv, $"<text transform=\"translate(16 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">fraction of messages at or below</text>");

        var legendY = Top + 10;
        foreach (var (server, cdf) in points)
        {
            var (color, dash) = Styles.TryGetValue(server, out var style) ? style : ("#999", "");
            var path = new StringBuilder();
            var previous = 0.0;
            var lastX = double.NegativeInfinity;
            for (var i = 0; i < cdf.Count; i++)
            {
                var (ns, fraction) = cdf[i];
                // A step: up at this latency from the previous fraction. Points closer than half a
                // pixel to the last one drawn add nothing but bytes (the last point is always drawn).
                var x = X(ns / 1e6);
                if (x - lastX < 0.5 && i < cdf.Count - 1)
                {
                    continue;
                }
                lastX = x;
                path.Append(path.Length == 0 ? "M" : " L").Append(Inv, $"{x:0.#},{Y(previous):0.#}");
                path.Append(Inv, $" L{x:0.#},{Y(fraction):0.#}");
                previous = fraction;
            }
            var dashAttr = dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "";
            svg.AppendLine(Inv, $"<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dashAttr}/>");
            var h = series.First(s => s.Server == server).Histogram;
            svg.AppendLine(Inv, $"<line x1=\"{Width - Right + 12}\" y1=\"{legendY}\" x2=\"{Width - Right + 36}\" y2=\"{legendY}\" stroke=\"{color}\" stroke-width=\"2\"{dashAttr}/>");
            svg.AppendLine(Inv, $"<text x=\"{Width - Right + 42}\" y=\"{legendY + 4}\">{SecurityElement.Escape(MarkdownReport.Display(server))}</text>");
            svg.AppendLine(Inv, $"<text x=\"{Width - Right + 42}\" y=\"{legendY + 18}\" fill=\"#666\" font-size=\"10\">p99 {FormatMs(h.Quantile(0.99) / 1e6)}, n={h.Count}</text>");
            legendY += 36;
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string FormatMs(double ms) =>
        ms >= 1000 ? (ms / 1000).ToString("0.##", Inv) + " s"
        : ms >= 1 ? ms.ToString("0.##", Inv) + " ms"
        : (ms * 1000).ToString("0.#", Inv) + " µs";
}
