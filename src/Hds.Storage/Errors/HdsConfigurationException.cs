namespace Hds.Storage;

/// <summary>The configuration or the bucket is not fit for health data; the message says what to fix.</summary>
public sealed class HdsConfigurationException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do, without sensitive values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsConfigurationException(string message, Exception? innerException = null)
        : base(HdsErrorCode.Configuration, message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public HdsConfigurationException()
        : this("The configuration is invalid.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    public HdsConfigurationException(string message)
        : this(message, null)
    {
    }
}
