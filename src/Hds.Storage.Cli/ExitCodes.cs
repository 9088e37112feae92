namespace Hds.Storage.Cli;

/// <summary>
/// The stable exit codes of <c>hds</c>, and the one place that maps failures to them. Scripts branch on these values: never renumber.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Usage = 1;
    public const int Configuration = 2;
    public const int AccessDenied = 3;
    public const int Integrity = 4;
    public const int NotFound = 5;
    public const int ObjectLocked = 6;
    public const int BackendUnavailable = 7;
    public const int NotGeoDurable = 8;
    public const int NotReplicated = 9;
    public const int Failure = 10;

    /// <summary><c>hds bucket check</c>: the bucket is compliant where it answered, but the metadata master site does not answer.</summary>
    public const int MetadataMasterUnavailable = 11;

    public static int For(HdsErrorCode code) => code switch
    {
        HdsErrorCode.InvalidRequest => Usage,
        HdsErrorCode.Configuration => Configuration,
        HdsErrorCode.AccessDenied => AccessDenied,
        HdsErrorCode.Integrity => Integrity,
        HdsErrorCode.NotFound => NotFound,
        HdsErrorCode.ObjectLocked => ObjectLocked,
        HdsErrorCode.BackendUnavailable => BackendUnavailable,
        HdsErrorCode.NotGeoDurable => NotGeoDurable,
        HdsErrorCode.NotReplicated => NotReplicated,
        _ => Failure,
    };

    /// <summary>The exit code and the error code name printed for a failure.</summary>
    public static (int ExitCode, HdsErrorCode Code) For(Exception exception) => exception switch
    {
        HdsStorageException hds => (For(hds.ErrorCode), hds.ErrorCode),
        CliUsageException => (Usage, HdsErrorCode.InvalidRequest),
        _ => (Failure, HdsErrorCode.Unknown),
    };
}
