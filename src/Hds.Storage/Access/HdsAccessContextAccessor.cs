namespace Hds.Storage;

/// <summary>
/// Where the client finds the access context of a call that passes none: by default the ambient <see cref="HdsAccessScope"/>
/// (set per request by the ASP.NET Core middleware). Replace it to read the context from elsewhere (for example a DI-scoped service).
/// </summary>
public abstract class HdsAccessContextAccessor
{
    /// <summary>The accessor reading <see cref="HdsAccessScope.Current"/>.</summary>
    public static HdsAccessContextAccessor Ambient { get; } = new AmbientAccessor();

    /// <summary>The context of the current call, or <see langword="null"/> when there is none (the call is then refused).</summary>
    public abstract HdsAccessContext? Current { get; }

    private sealed class AmbientAccessor : HdsAccessContextAccessor
    {
        public override HdsAccessContext? Current => HdsAccessScope.Current;
    }
}
