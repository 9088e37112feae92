namespace Hds.Storage;

/// <summary>The object or version does not exist.</summary>
public sealed class HdsObjectNotFoundException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do, without sensitive values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsObjectNotFoundException(string message, Exception? innerException = null)
        : base(HdsErrorCode.NotFound, message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public HdsObjectNotFoundException()
        : this("The object or version does not exist.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    public HdsObjectNotFoundException(string message)
        : this(message, null)
    {
    }
}
