namespace Hds.Storage.Backends.Local;

/// <summary>Settings of the embedded local store.</summary>
public sealed class LocalStorageOptions
{
    /// <summary>The directory holding the store; created on first use.</summary>
    /// <value>The default value is an empty string (must be set).</value>
    public string Path { get; set; } = string.Empty;

    internal void Validate(List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            errors.Add("Local.Path must name the directory of the embedded store.");
        }
        else if (File.Exists(Path))
        {
            // Caught at start-up, not as a failure of every request.
            errors.Add("Local.Path names a file: it must name the directory of the embedded store (an existing store, or a new directory).");
        }
    }
}
