using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Channels;
using Switchboard.Logging;

namespace Switchboard.AspNetCore.Auth;

/// <summary>Registering the JWT channel authorizer.</summary>
public static class SwitchboardAuthServiceCollectionExtensions
{
    /// <summary>
    /// Makes <see cref="JwtChannelAuthorizer"/> the <see cref="IChannelAuthorizer"/> every channel protocol
    /// asks, in place of the allow-all default. The keys are read and checked when the host starts, so a
    /// bad setting stops the app with a message naming it.
    /// </summary>
    public static IServiceCollection AddSwitchboardJwt(this IServiceCollection services, Action<JwtAuthorizerOptions> configure)
    {
        services.AddOptions<JwtAuthorizerOptions>().Configure(configure);
        return AddAuthorizer(services);
    }

    /// <summary>As <see cref="AddSwitchboardJwt(IServiceCollection, Action{JwtAuthorizerOptions})"/>, binding the options from a configuration section such as <c>Switchboard:Auth</c>.</summary>
    public static IServiceCollection AddSwitchboardJwt(this IServiceCollection services, IConfiguration section, Action<JwtAuthorizerOptions>? configure = null)
    {
        var options = services.AddOptions<JwtAuthorizerOptions>().Bind(section);
        if (configure is not null)
        {
            options.Configure(configure);
        }
        return AddAuthorizer(services);
    }

    private static IServiceCollection AddAuthorizer(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JwtAuthorizerOptions>, KeysValidator>());
        services.AddOptions<JwtAuthorizerOptions>().ValidateOnStart();
        services.RemoveAll<IChannelAuthorizer>();
        services.AddSingleton<IChannelAuthorizer>(sp => sp.GetRequiredService<JwtChannelAuthorizer>());
        services.TryAddSingleton(sp => new JwtChannelAuthorizer(
            sp.GetRequiredService<IOptions<JwtAuthorizerOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<JwtChannelAuthorizer>>(),
            sp.GetService<IHostEnvironment>()?.ContentRootPath)
        {
            Refusals = sp.GetService<LogThrottle>() ?? LogThrottle.None,
        });
        return services;
    }

    /// <summary>Loads the keys once at startup, so that a missing file or a bad key fails the start, not the first client.</summary>
    private sealed class KeysValidator(IHostEnvironment? environment = null) : IValidateOptions<JwtAuthorizerOptions>
    {
        public ValidateOptionsResult Validate(string? name, JwtAuthorizerOptions options)
        {
            try
            {
                JwtSigningKeys.Load(options, environment?.ContentRootPath);
                return ValidateOptionsResult.Success;
            }
            catch (InvalidOperationException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
