using Microsoft.Extensions.Options;

namespace Hds.Storage.DependencyInjection;

/// <summary>Validates options at start-up with the same rules as the client, reporting every problem at once.</summary>
internal sealed class HdsStorageOptionsValidator : IValidateOptions<HdsStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, HdsStorageOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (HdsConfigurationException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
