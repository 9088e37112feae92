using Amazon.Runtime;
using Hds.Storage.Access;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// The pseudonymous access-context headers (<see cref="HdsContextHeaders"/>) of the operation a request runs for, so the storage's
/// own audit log can be correlated with the SDK's. Not x-amz headers. Each S3 request object the backend builds carries its
/// operation (<see cref="On{T}"/>): the SDK calls it back once the request is marshalled, before it is signed, and the headers go
/// into the request itself, so they are signed with it and sent unchanged on the SDK's own retries (issue 15: before, an HTTP
/// handler added them after signing, from an AsyncLocal). A resumed read's ranged GET is built the same way, from the operation
/// the read was opened for.
/// </summary>
internal static class ContextHeaders
{
    /// <summary>Tags <paramref name="request"/> with the context headers of <paramref name="operation"/> (none when null).</summary>
    public static T On<T>(T request, OperationContext? operation)
        where T : AmazonWebServiceRequest
    {
        if (operation is not null)
        {
            ((Amazon.Runtime.Internal.IAmazonWebServiceRequest)request).AddBeforeRequestHandler((_, args) =>
            {
                if (args is WebServiceRequestEventArgs web)
                {
                    AddHeaders(web.Headers, operation);
                }
            });
        }

        return request;
    }

    /// <summary>Sets the context headers of <paramref name="operation"/> in <paramref name="headers"/> (nothing when null).</summary>
    public static void AddHeaders(IDictionary<string, string> headers, OperationContext? operation)
    {
        if (operation is null)
        {
            return;
        }

        var c = operation.Access;
        Set(headers, HdsContextHeaders.Actor, c.ActorId);
        Set(headers, HdsContextHeaders.ActorKind, c.ActorKind);
        Set(headers, HdsContextHeaders.Tenant, c.Tenant);
        Set(headers, HdsContextHeaders.Purpose, c.Purpose);
        Set(headers, HdsContextHeaders.CorrelationId, c.CorrelationId);
        Set(headers, HdsContextHeaders.Application, c.Application);
        Set(headers, HdsContextHeaders.Operation, operation.Name);
        Set(headers, HdsContextHeaders.Node, operation.Node);
    }

    private static void Set(IDictionary<string, string> headers, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            headers[name] = value;
        }
    }
}
