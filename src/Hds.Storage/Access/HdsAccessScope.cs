namespace Hds.Storage;

/// <summary>
/// The ambient access context of the current asynchronous flow, for code that does not pass a context on each call
/// (for example set once per request by the ASP.NET Core middleware).
/// </summary>
public static class HdsAccessScope
{
    private static readonly AsyncLocal<HdsAccessContext?> CurrentContext = new();

    /// <summary>The context of the current flow, or <see langword="null"/>.</summary>
    public static HdsAccessContext? Current => CurrentContext.Value;

    /// <summary>Makes <paramref name="context"/> current until the returned scope is disposed.</summary>
    /// <param name="context">The context; validated now.</param>
    /// <returns>Dispose it to restore the previous context.</returns>
    public static IDisposable Begin(HdsAccessContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Validate();
        var previous = CurrentContext.Value;
        CurrentContext.Value = context;
        return new Scope(previous);
    }

    private sealed class Scope(HdsAccessContext? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                CurrentContext.Value = previous;
            }
        }
    }
}
