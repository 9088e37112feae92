namespace Hds.Storage.Backends.S3.Sites;

/// <summary>What an S3 call does to the storage: read-only sites serve only <see cref="Read"/> calls.</summary>
internal enum SiteAccess
{
    Read,
    Write,
}
