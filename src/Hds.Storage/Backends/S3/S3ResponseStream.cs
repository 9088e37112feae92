using Amazon.S3.Model;
using Hds.Storage.IO;

namespace Hds.Storage.Backends.S3;

/// <summary>The body of a GetObject response; disposing it releases the HTTP connection. Read failures become typed exceptions.</summary>
internal sealed class S3ResponseStream(GetObjectResponse response) : ReadOnlyForwardStream
{
    private readonly Stream _body = response.ResponseStream;

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _body.Read(buffer);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw new HdsBackendUnavailableException("The connection to the S3 endpoint broke while reading.", ex);
        }
        catch (Amazon.Runtime.AmazonClientException ex)
        {
            // The AWS SDK checks the body against the MD5 ETag the endpoint announced, and throws this untyped on a mismatch.
            throw Mismatch(ex);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw new HdsBackendUnavailableException("The connection to the S3 endpoint broke while reading.", ex);
        }
        catch (Amazon.Runtime.AmazonClientException ex)
        {
            // The AWS SDK checks the body against the MD5 ETag the endpoint announced, and throws this untyped on a mismatch.
            throw Mismatch(ex);
        }
    }

    private static HdsIntegrityException Mismatch(Exception inner) =>
        IntegrityErrors.Corrupt("The S3 response body does not match the checksum the endpoint announced: it was altered or corrupted in transit.", inner);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            response.Dispose();
        }

        base.Dispose(disposing);
    }
}
