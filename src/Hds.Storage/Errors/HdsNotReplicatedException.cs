namespace Hds.Storage;

/// <summary>
/// The version asked for is on no storage site that could be reached within <see cref="HdsS3StorageOptions.ReplicationLagTimeout"/>,
/// and at least one site could not be asked: it may hold the version, which replication has not brought to the others yet. Unlike
/// <see cref="HdsObjectNotFoundException"/> (every site answered that the version does not exist), this says nothing about the
/// version's existence: retry later, when the site is back.
/// </summary>
public sealed class HdsNotReplicatedException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do, without sensitive values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsNotReplicatedException(string message, Exception? innerException = null)
        : base(HdsErrorCode.NotReplicated, message, innerException)
    {
    }
}
