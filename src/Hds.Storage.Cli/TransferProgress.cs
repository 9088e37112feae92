using Spectre.Console;

namespace Hds.Storage.Cli;

/// <summary>
/// Progress bars for long transfers, on standard error only: shown when standard error is a terminal, never mixed into the JSON or
/// content on standard output. HDS_PROGRESS=never turns them off, HDS_PROGRESS=always forces them (plain lines when not a terminal).
/// </summary>
internal static class TransferProgress
{
    // Small transfers finish before a bar would be readable.
    private const long MinimumBytes = 8 * 1024 * 1024;

    public static async Task<T> RunAsync<T>(string description, long? totalBytes, Func<Func<Stream, Stream>, Task<T>> work)
    {
        var setting = Environment.GetEnvironmentVariable("HDS_PROGRESS");
        var forced = string.Equals(setting, "always", StringComparison.OrdinalIgnoreCase);
        var enabled = forced
            || (!string.Equals(setting, "never", StringComparison.OrdinalIgnoreCase) && !Console.IsErrorRedirected && totalBytes is null or >= MinimumBytes);
        if (!enabled)
        {
            return await work(static s => s).ConfigureAwait(false);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(CliContext.Error),
            Interactive = forced ? InteractionSupport.Yes : InteractionSupport.Detect,
        });
        return await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(description, autoStart: true, maxValue: totalBytes ?? 1);
                task.IsIndeterminate = totalBytes is null;
                var result = await work(s => new ProgressStream(s, n => task.Increment(n))).ConfigureAwait(false);
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            })
            .ConfigureAwait(false);
    }

    /// <summary>A read-only pass-through that reports the bytes read.</summary>
    private sealed class ProgressStream(Stream inner, Action<long> onRead) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Report(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Report(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Report(int read)
        {
            onRead(read);
            return read;
        }
    }
}
