namespace Hds.Storage;

/// <summary>Settings of the embedded local store.</summary>
public sealed class HdsLocalStorageOptions
{
    /// <summary>The folder under the user's data folder that holds embedded stores given by a relative <see cref="Path"/>.</summary>
    internal const string DataFolderName = "Hds.Storage";

    /// <summary>
    /// The directory holding the store; created on first use. An absolute path is used as is. A relative path (for example
    /// <c>"hds-store"</c>) is taken under the user's data folder (<see cref="Environment.SpecialFolder.LocalApplicationData"/>, then
    /// <c>Hds.Storage</c>: <c>~/.local/share/Hds.Storage/hds-store</c> on Linux, <c>%LOCALAPPDATA%\Hds.Storage\hds-store</c> on Windows),
    /// never under the process's current directory: there it would land in an application's content root, where
    /// <c>dotnet publish</c> copies it and <c>dotnet watch</c> reloads on every write.
    /// </summary>
    /// <value>The default value is an empty string (must be set).</value>
    public string Path { get; set; } = string.Empty;

    /// <summary>The absolute directory of the store (see <see cref="Path"/>); empty when a relative path has no user data folder to go to.</summary>
    internal string FullPath => Resolve(Path);

    /// <summary>Resolves a store path: absolute as is, relative under the user's data folder.</summary>
    internal static string Resolve(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return string.Empty;
        }

        if (System.IO.Path.IsPathFullyQualified(path))
        {
            return System.IO.Path.GetFullPath(path);
        }

        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return string.IsNullOrEmpty(data) ? string.Empty : System.IO.Path.GetFullPath(System.IO.Path.Combine(data, DataFolderName, path));
    }

    internal void Validate(List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            errors.Add("Local.Path must name the directory of the embedded store.");
        }
        else if (FullPath.Length == 0)
        {
            errors.Add("Local.Path is relative and this account has no user data folder to put it under (HOME or XDG_DATA_HOME unset): "
                + "give an absolute Local.Path (configuration HdsStorage:Local:Path).");
        }
        else if (File.Exists(FullPath))
        {
            // Caught at start-up, not as a failure of every request.
            errors.Add("Local.Path names a file: it must name the directory of the embedded store (an existing store, or a new directory).");
        }
    }
}
