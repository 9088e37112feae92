using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Keys;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hds.Storage;

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

    /// <summary>
    /// Protects the key ring with a <see cref="HdsKeyEncryptionKeyProvider"/> built by the container (an HSM or KMS client with its
    /// own dependencies): registered as a singleton unless already registered, and set as <c>Encryption.KeyProvider</c>.
    /// </summary>
    /// <typeparam name="T">The provider type.</typeparam>
    /// <returns>This builder.</returns>
    public HdsStorageBuilder UseKeyProvider<T>()
        where T : HdsKeyEncryptionKeyProvider =>
        Use<T>(static (options, provider) => options.Encryption.KeyProvider = provider);

    /// <summary>
    /// Sends the audit records to an <see cref="HdsAuditSink"/> built by the container instead of the hash-chained trail in the
    /// bucket: registered as a singleton unless already registered (the container disposes it; the client only flushes it), and
    /// set as <c>Audit.Sink</c>.
    /// </summary>
    /// <typeparam name="T">The sink type.</typeparam>
    /// <returns>This builder.</returns>
    public HdsStorageBuilder UseAuditSink<T>()
        where T : HdsAuditSink =>
        Use<T>(static (options, sink) => options.Audit.Sink = sink);

    /// <summary>
    /// Decides every operation with an <see cref="HdsAuthorizationPolicy"/> built by the container (for instance one that asks
    /// the application's rights service): registered as a singleton unless already registered, and set as
    /// <c>Authorization.Policy</c>.
    /// </summary>
    /// <typeparam name="T">The policy type.</typeparam>
    /// <returns>This builder.</returns>
    public HdsStorageBuilder UseAuthorizationPolicy<T>()
        where T : HdsAuthorizationPolicy =>
        Use<T>(static (options, policy) => options.Authorization.Policy = policy);

    // The extension point comes from the container when the client's options are built (the client is a singleton: once).
    private HdsStorageBuilder Use<T>(Action<HdsStorageOptions, T> set)
        where T : class
    {
        Services.TryAddSingleton<T>();
        Services.AddOptions<HdsStorageOptions>(Name).Configure<T>(set);
        return this;
    }
}
