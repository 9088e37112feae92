namespace Hds.Storage.IntegrationTests.Infrastructure;

/// <summary>
/// A non-seekable upload body that stops at <paramref name="gateAt"/> bytes until <see cref="Open"/> is called: lets a test act
/// (kill a gateway) at a known point of an upload. The wait is bounded (one minute) so a test cannot hang on it.
/// </summary>
public sealed class GatedStream(byte[] data, int gateAt) : Stream
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;

    /// <summary>Completes when the reader reached the gate.</summary>
    public Task Reached => _reached.Task;

    public void Open() => _gate.TrySetResult();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position == gateAt && !_gate.Task.IsCompleted)
        {
            _reached.TrySetResult();
            await _gate.Task.WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);
        }

        var limit = _position < gateAt ? gateAt : data.Length;
        var n = Math.Min(buffer.Length, limit - _position);
        data.AsMemory(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
