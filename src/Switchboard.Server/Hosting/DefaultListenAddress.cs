namespace Switchboard.Server.Hosting;

internal static class DefaultListenAddress
{
    public const string Url = "http://127.0.0.1:8080";

    /// <summary>
    /// Listens on <see cref="Url"/> when no address is configured anywhere. Putting <c>Urls</c> in
    /// appsettings.json instead would silently win over <c>ASPNETCORE_URLS</c>, which the host reads
    /// before the JSON files; this way every configuration source can still override the default.
    /// </summary>
    public static void UseDefaultListenAddress(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var configured =
            !string.IsNullOrEmpty(config[WebHostDefaults.ServerUrlsKey])
            || !string.IsNullOrEmpty(config[WebHostDefaults.HttpPortsKey])
            || !string.IsNullOrEmpty(config[WebHostDefaults.HttpsPortsKey])
            || config.GetSection("Kestrel:Endpoints").Exists();
        if (!configured)
        {
            builder.WebHost.UseUrls(Url);
        }
    }
}
