namespace Switchboard.Server.Hosting;

/// <summary>
/// Where the server finds appsettings.json and its pages. ASP.NET Core's default content root is the
/// current directory, so <c>dotnet path/to/Switchboard.Server.dll</c> started elsewhere read no settings
/// (and refused every client: no key, no anonymous access). The app's own directory is used instead
/// when the current one has no appsettings.json and no content root is given (<c>--contentRoot</c>,
/// <c>ASPNETCORE_CONTENTROOT</c>, <c>DOTNET_CONTENTROOT</c>).
/// </summary>
internal static class ContentRoot
{
    /// <summary>The options for <c>WebApplication.CreateBuilder</c>.</summary>
    public static WebApplicationOptions BuilderOptions(string[] args)
    {
        var given = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()[WebHostDefaults.ContentRootKey];
        var useAppDirectory = string.IsNullOrEmpty(given) && !File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"));
        return new WebApplicationOptions { Args = args, ContentRootPath = useAppDirectory ? AppContext.BaseDirectory : null };
    }

    /// <summary>
    /// A built (not published) server has no wwwroot beside it: its pages stay in the project, which the
    /// build's static web assets manifest points to. ASP.NET Core reads that manifest only in Development;
    /// read it whenever the content root has no wwwroot of its own.
    /// </summary>
    public static void UseBuiltWebRootWhenMissing(this WebApplicationBuilder builder)
    {
        var env = builder.Environment;
        if (!env.IsDevelopment() && !Directory.Exists(Path.Combine(env.ContentRootPath, "wwwroot"))
            && File.Exists(Path.Combine(AppContext.BaseDirectory, $"{env.ApplicationName}.staticwebassets.runtime.json")))
        {
            builder.WebHost.UseStaticWebAssets();
        }
    }
}
