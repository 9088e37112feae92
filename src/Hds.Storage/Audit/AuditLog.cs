using Microsoft.Extensions.Logging;
using Hds.Storage.Models;

namespace Hds.Storage.Audit;

/// <summary>The audit trail's log messages (event ids in the library's one numbering, see Diagnostics/Log.cs).</summary>
internal static partial class AuditLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Audit {Operation} {Outcome} reason {Reason} actor {Actor} ({ActorKind}) tenant {Tenant} purpose {Purpose} correlation {CorrelationId} application {Application} node {Node} seq {Sequence} key-id {KeyId} site {Site} found-after-lost-answer {FoundAfterLostAnswer}")]
    public static partial void AuditRecord(
        ILogger logger, Models.HdsOperation operation, HdsAuditOutcome outcome, string? reason, string? actor, string? actorKind,
        string? tenant, string? purpose, string? correlationId, string? application, string? node, long sequence, string? keyId, string? site,
        bool foundAfterLostAnswer);
}
