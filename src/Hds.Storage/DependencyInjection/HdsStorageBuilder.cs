using Microsoft.Extensions.DependencyInjection;

namespace Hds.Storage.DependencyInjection;

/// <summary>Returned by <c>AddHdsStorage</c>: further configures one named Hds.Storage client.</summary>
public sealed class HdsStorageBuilder
{
    internal HdsStorageBuilder(IServiceCollection services, string name)
    {
        Services = services;
        Name = name;
    }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The client's name: empty for the default client, else the service key of a keyed client.</summary>
    public string Name { get; }

    /// <summary>Adds a configuration step to the client's options.</summary>
    /// <param name="configure">Changes the options.</param>
    /// <returns>This builder.</returns>
    public HdsStorageBuilder Configure(Action<HdsStorageOptions> configure)
    {
        Services.Configure(Name, configure);
        return this;
    }
}
