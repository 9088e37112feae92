namespace Hds.Storage.IntegrationTests.Infrastructure;

internal static class TempDirectories
{
    /// <summary>
    /// Removes a test's directory and everything in it. The embedded store marks the files of locked versions read-only, which
    /// <see cref="Directory.Delete(string, bool)"/> alone would refuse on some platforms, so they are made writable first.
    /// </summary>
    public static void Delete(string path)
    {
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }

        Directory.Delete(path, recursive: true);
    }
}
