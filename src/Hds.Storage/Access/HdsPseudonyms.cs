namespace Hds.Storage;

/// <summary>
/// The shape a patient pseudonym must have wherever Hds.Storage accepts one (the access context set by the CLI's <c>--patient</c> and
/// the ASP.NET Core middleware, audit search filters): an opaque token, never a name, an e-mail address or a national identifier.
/// A shape check cannot prove a value is a pseudonym; it refuses what plainly is not one.
/// </summary>
public static class HdsPseudonyms
{
    /// <summary>The shortest pseudonym accepted.</summary>
    public const int MinimumLength = 8;

    /// <summary>The longest pseudonym accepted.</summary>
    public const int MaximumLength = 128;

    /// <summary>
    /// Whether <paramref name="value"/> has the shape of a patient pseudonym: 8 to 128 characters among lowercase letters, digits and
    /// <c>- _ . :</c>, holding at least one digit (a scheme's own pseudonym, for example "msa:p-20391847") or exactly the 52 lowercase
    /// base32 characters of <see cref="HdsOpaqueKeys.Derive"/>. Spaces, capitals and <c>@</c> (names, e-mail addresses) are refused.
    /// </summary>
    /// <param name="value">The value to check.</param>
    /// <returns><see langword="true"/> when the value is accepted.</returns>
    public static bool IsValidPatientPseudonym(string? value)
    {
        if (value is null || value.Length is < MinimumLength or > MaximumLength)
        {
            return false;
        }

        if (!value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.' or ':'))
        {
            return false;
        }

        return value.Any(char.IsAsciiDigit) || (value.Length == 52 && value.All(c => char.IsAsciiLetterLower(c) || c is >= '2' and <= '7'));
    }

    /// <summary>Throws when <paramref name="value"/> is not shaped as a patient pseudonym (<see cref="IsValidPatientPseudonym"/>).</summary>
    /// <param name="value">The value to check.</param>
    /// <param name="what">Where it came from, for the message (for example "--patient").</param>
    /// <exception cref="HdsInvalidRequestException">The value is not a pseudonym; the message never repeats it.</exception>
    public static void ValidatePatientPseudonym(string value, string what)
    {
        if (!IsValidPatientPseudonym(value))
        {
            throw new HdsInvalidRequestException(
                $"{what} must be a patient pseudonym (8 to 128 characters among a-z, 0-9 and - _ . :, with a digit, or an HdsOpaqueKeys segment), never a name or an identifier.");
        }
    }
}
