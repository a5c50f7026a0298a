using System.Globalization;

namespace Switchboard.LoadGen.Cli;

/// <summary>A small command-line reader: <c>command --name value --flag</c>.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    public Arguments(string[] args)
    {
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                var name = args[i][2..];
                string? value = null;
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0)
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                }
                else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    value = args[++i];
                }
                _options[name] = value;
            }
            else
            {
                positional.Add(args[i]);
            }
        }
        Positional = positional;
    }

    public IReadOnlyList<string> Positional { get; }

    public bool Flag(string name)
    {
        _used.Add(name);
        if (!_options.TryGetValue(name, out var value))
        {
            return false;
        }
        return value is null || !value.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    public string? String(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var value) ? value : null;
    }

    public int? Int(string name) => String(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    public double? Double(string name) => String(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : null;

    public IReadOnlyList<string>? List(string name) =>
        String(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Options given but never asked for: most likely typos.</summary>
    public IEnumerable<string> Unused => _options.Keys.Where(k => !_used.Contains(k));
}
