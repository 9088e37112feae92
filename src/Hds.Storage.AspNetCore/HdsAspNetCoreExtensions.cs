using Hds.Storage.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the Hds.Storage access-context middleware and outbound propagation.</summary>
public static class HdsAspNetCoreExtensions
{
    /// <summary>Registers the options of <see cref="HdsAccessContextMiddleware"/>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Claim mapping and trusted callers.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddHdsAccessContext(this IServiceCollection services, Action<HdsAccessContextOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<HdsAccessContextOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return services;
    }

    /// <summary>Adds the middleware making each request's access context ambient; place it after authentication.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static IApplicationBuilder UseHdsAccessContext(this IApplicationBuilder app) => app.UseMiddleware<HdsAccessContextMiddleware>();

    /// <summary>Propagates the current access context on this client's requests.</summary>
    /// <param name="builder">The HTTP client builder.</param>
    /// <param name="configure">The caller id and signing key.</param>
    /// <returns>The builder.</returns>
    public static IHttpClientBuilder AddHdsContextPropagation(this IHttpClientBuilder builder, Action<HdsContextPropagationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new HdsContextPropagationOptions();
        configure(options);
        return builder.AddHttpMessageHandler(sp => new HdsContextPropagationHandler(options, sp.GetService<TimeProvider>()));
    }
}
