using Hds.Storage.Access;

namespace Hds.Storage;

/// <summary>Options common to every operation.</summary>
public class HdsRequestOptions
{
    /// <summary>The access context of this call; when null, <see cref="HdsAccessScope.Current"/> is used, and without either the call is refused.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public HdsAccessContext? Context { get; set; }
}
