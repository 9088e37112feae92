namespace Hds.Storage.Models;

/// <summary>
/// The content of one version being read. <see cref="Content"/> only ever returns verified bytes and throws
/// <see cref="HdsIntegrityException"/> as soon as verification fails. Dispose it to release the connection.
/// </summary>
public sealed class HdsDownload : IAsyncDisposable, IDisposable
{
    internal HdsDownload(Stream content, HdsObjectProperties properties)
    {
        Content = content;
        Properties = properties;
    }

    /// <summary>The content, verified as it is read.</summary>
    public Stream Content { get; }

    /// <summary>The properties of the version being read.</summary>
    public HdsObjectProperties Properties { get; }

    /// <inheritdoc />
    public void Dispose() => Content.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
