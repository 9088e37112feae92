using Hds.Storage;
using Hds.Storage.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Hds.Storage clients in a service collection.</summary>
public static class HdsStorageServiceCollectionExtensions
{
    /// <summary>The configuration section read by <see cref="AddHdsStorage(IServiceCollection, IConfiguration)"/>: "HdsStorage".</summary>
    public const string DefaultSectionName = "HdsStorage";

    /// <summary>
    /// Registers the default <see cref="HdsStorageClient"/> (a singleton), its options validated at start-up.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder for further configuration.</returns>
    public static HdsStorageBuilder AddHdsStorage(this IServiceCollection services, Action<HdsStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = Register(services, Options.Options.DefaultName);
        builder.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Registers the default <see cref="HdsStorageClient"/> with options bound from <paramref name="configuration"/>: pass the root
    /// configuration (the "HdsStorage" section is read) or the section itself. Environment variables bind as usual
    /// (HdsStorage__S3__Bucket).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration root or the section holding the options.</param>
    /// <returns>A builder for further configuration.</returns>
    public static HdsStorageBuilder AddHdsStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = Register(services, Options.Options.DefaultName);
        Bind(services, builder.Name, configuration);
        return builder;
    }

    /// <summary>
    /// Registers a keyed <see cref="HdsStorageClient"/> (for applications using several buckets): resolve it with
    /// <c>[FromKeyedServices(name)]</c> or <c>GetRequiredKeyedService&lt;HdsStorageClient&gt;(name)</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The client's name and service key.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder for further configuration.</returns>
    public static HdsStorageBuilder AddKeyedHdsStorage(this IServiceCollection services, string name, Action<HdsStorageOptions> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = Register(services, name);
        builder.Configure(configure);
        return builder;
    }

    /// <summary>Registers a keyed <see cref="HdsStorageClient"/> with options bound from a configuration section.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The client's name and service key.</param>
    /// <param name="section">The section holding the options.</param>
    /// <returns>A builder for further configuration.</returns>
    public static HdsStorageBuilder AddKeyedHdsStorage(this IServiceCollection services, string name, IConfiguration section)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(section);
        var builder = Register(services, name);
        services.Configure<HdsStorageOptions>(name, section);
        return builder;
    }

    private static void Bind(IServiceCollection services, string name, IConfiguration configuration)
    {
        var section = configuration.GetSection(DefaultSectionName);
        services.Configure<HdsStorageOptions>(name, section.Exists() ? section : configuration);
    }

    private static HdsStorageBuilder Register(IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HdsStorageOptions>, HdsStorageOptionsValidator>());
        services.AddOptions<HdsStorageOptions>(name).ValidateOnStart();

        if (name.Length == 0)
        {
            services.TryAddSingleton(sp => Create(sp, name));
        }
        else
        {
            services.TryAddKeyedSingleton(name, (sp, _) => Create(sp, name));
        }

        return new HdsStorageBuilder(services, name);
    }

    private static HdsStorageClient Create(IServiceProvider services, string name) =>
        new(
            services.GetRequiredService<IOptionsMonitor<HdsStorageOptions>>().Get(name),
            services.GetRequiredService<TimeProvider>(),
            services.GetService<ILoggerFactory>());
}
