namespace Hds.Storage;

/// <summary>
/// What kind of failure an <see cref="HdsStorageException"/> reports. Stable: the CLI maps each value to its exit code.
/// </summary>
public enum HdsErrorCode
{
    /// <summary>An unexpected failure not covered by another code.</summary>
    Unknown = 0,

    /// <summary>The request itself is invalid (bad object key, bad date, bad range); nothing was read or written.</summary>
    InvalidRequest = 1,

    /// <summary>The configuration or the bucket is not fit for health data (for example object lock disabled).</summary>
    Configuration = 2,

    /// <summary>The operation was refused by the access policy or by the storage's credentials.</summary>
    AccessDenied = 3,

    /// <summary>The data read is not the data written: tampered, truncated or corrupted content or metadata.</summary>
    Integrity = 4,

    /// <summary>The object or version does not exist.</summary>
    NotFound = 5,

    /// <summary>The operation was refused by retention or legal hold (WORM protection).</summary>
    ObjectLocked = 6,

    /// <summary>No storage site could be reached in time.</summary>
    BackendUnavailable = 7,

    /// <summary>The operation's audit record could not be made durable, so the operation was refused (fail-closed).</summary>
    AuditUnavailable = 8,

    /// <summary>
    /// The write is stored and locked, but fewer sites than asked confirmed it in time (<see cref="HdsNotGeoDurableException"/>).
    /// </summary>
    NotGeoDurable = 9,

    /// <summary>
    /// The version asked for is on no site that answered, and some site could not be reached: it may not be replicated yet
    /// (<see cref="HdsNotReplicatedException"/>). Retry later.
    /// </summary>
    NotReplicated = 10,
}
