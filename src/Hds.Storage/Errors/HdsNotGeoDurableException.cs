using Hds.Storage.Models;

namespace Hds.Storage;

/// <summary>
/// The write succeeded on fewer sites than <see cref="HdsPutOptions.AcknowledgementSites"/> asked within the acknowledgement timeout:
/// the version is stored and locked (see <see cref="Receipt"/>, whose <see cref="HdsStorageReceipt.ConfirmedSites"/> says where), and
/// replication may still copy it, but it is not yet known to survive the loss of the site that stored it. Do not tell a person their
/// document is filed; keep the receipt and check it again later (<see cref="HdsStorageClient.VerifyAsync"/>), or write again.
/// </summary>
public sealed class HdsNotGeoDurableException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="receipt">The receipt of the stored version.</param>
    /// <param name="requiredSites">How many sites were asked for.</param>
    public HdsNotGeoDurableException(HdsStorageReceipt receipt, int requiredSites)
        : base(
            HdsErrorCode.NotGeoDurable,
            $"The version was stored and locked, but only {receipt?.ConfirmedSites.Count ?? 0} of the {requiredSites} sites asked confirmed it in time; "
            + "replication may still copy it. Keep the receipt and check it later, or write again.")
    {
        ArgumentNullException.ThrowIfNull(receipt);
        Receipt = receipt;
        RequiredSites = requiredSites;
    }

    /// <summary>The receipt of the stored version; <see cref="HdsStorageReceipt.ConfirmedSites"/> names the sites that hold it.</summary>
    public HdsStorageReceipt Receipt { get; }

    /// <summary>How many sites were asked for.</summary>
    public int RequiredSites { get; }
}
