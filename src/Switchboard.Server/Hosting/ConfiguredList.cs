namespace Switchboard.Server.Hosting;

internal static class ConfiguredList
{
    /// <summary>
    /// A list setting given either as a list (JSON array, <c>Key:0</c>, <c>Key__0</c>) or as one
    /// comma-separated string (e.g. <c>--Switchboard:Api:Keys=a,b</c>). The JSON provider sets an empty
    /// array's section value to "", so both forms are read and joined.
    /// </summary>
    public static string[] Read(IConfigurationSection section) =>
        [.. (section.Get<string[]>() ?? [])
            .Concat((section.Value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(v => v.Length > 0)
            .Distinct(StringComparer.Ordinal)];
}
