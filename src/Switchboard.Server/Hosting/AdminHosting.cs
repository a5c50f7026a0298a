using Switchboard.AspNetCore;

namespace Switchboard.Server.Hosting;

/// <summary>
/// The admin page (docs/admin.md) at <c>/admin</c>, mapped only when Switchboard:Admin holds a credential:
/// a Password (HTTP Basic, user Switchboard:Admin:User, "admin" by default) and/or Keys (the
/// <c>X-Admin-Key</c> header). Without one, /admin answers 404 and a log line says the page is off.
/// </summary>
internal static partial class AdminHosting
{
    public static void MapAdminPage(this WebApplication app, IConfigurationSection section)
    {
        var password = section["Password"];
        var keys = ConfiguredList.Read(section.GetSection("Keys"));
        if (string.IsNullOrEmpty(password) && keys.Length == 0)
        {
            AdminOff(app.Logger);
            return;
        }
        app.MapSwitchboardAdmin("/admin", o =>
        {
            o.Password = password;
            o.User = section["User"] is { Length: > 0 } user ? user : o.User;
            o.Keys = keys;
        });
        AdminOn(app.Logger, string.IsNullOrEmpty(password) ? "keys only (X-Admin-Key)" : keys.Length > 0 ? "HTTP Basic and keys" : "HTTP Basic");
    }

    [LoggerMessage(1230, LogLevel.Information, "The admin page (/admin) is off: no Switchboard:Admin:Password or Switchboard:Admin:Keys")]
    private static partial void AdminOff(ILogger logger);

    [LoggerMessage(1231, LogLevel.Information, "The admin page (/admin) is on, with {Credential}")]
    private static partial void AdminOn(ILogger logger, string credential);
}
