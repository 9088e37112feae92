namespace Hds.Storage.IntegrationTests.Infrastructure;

internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string S3ServerDirectory => Path.Combine(Root, "tests", "s3-server");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hds.Storage.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Hds.Storage.sln) above " + AppContext.BaseDirectory);
    }
}
