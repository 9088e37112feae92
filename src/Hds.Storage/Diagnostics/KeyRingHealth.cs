namespace Hds.Storage.Diagnostics;

/// <summary>What the key-ring hook of the health check found.</summary>
/// <param name="Available">Whether writes and reads can get their keys.</param>
/// <param name="Description">For the health report: no key material, no key ids needed.</param>
internal readonly record struct KeyRingHealth(bool Available, string Description);
