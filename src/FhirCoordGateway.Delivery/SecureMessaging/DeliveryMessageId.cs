using System.Text.RegularExpressions;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>
/// The Message-ID of a delivery's message, <c>delivery-{deliveryId}@{domain}</c>: recipients quote it in their
/// acknowledgement's Original-Message-ID (RFC 8098 §3.2.5), which is how an MDN maps back to its delivery.
/// </summary>
public static partial class DeliveryMessageId
{
    private const string Prefix = "delivery-";

    /// <summary>The Message-ID (without angle brackets) for <paramref name="deliveryId"/>, a FHIR id.</summary>
    public static string Create(string deliveryId, string domain)
    {
        // A FHIR id is also a valid dot-atom once consecutive or edge dots are excluded.
        if (!FhirId().IsMatch(deliveryId) || deliveryId.Contains("..", StringComparison.Ordinal) || deliveryId.EndsWith('.'))
            throw new ArgumentException("The delivery id must be a FHIR id that can sit in a Message-ID.", nameof(deliveryId));
        return $"{Prefix}{deliveryId}@{domain}";
    }

    /// <summary>Reads the delivery id back from a Message-ID made by <see cref="Create"/> for <paramref name="domain"/>.</summary>
    public static bool TryParse(string? messageId, string domain, out string deliveryId)
    {
        deliveryId = "";
        if (string.IsNullOrWhiteSpace(messageId)) return false;
        var id = messageId.Trim().TrimStart('<').TrimEnd('>');
        var at = id.LastIndexOf('@');
        if (at <= Prefix.Length || !id.StartsWith(Prefix, StringComparison.Ordinal)
            || !string.Equals(id[(at + 1)..], domain, StringComparison.OrdinalIgnoreCase))
            return false;
        var candidate = id[Prefix.Length..at];
        if (!FhirId().IsMatch(candidate)) return false;
        deliveryId = candidate;
        return true;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$")]
    private static partial Regex FhirId();
}
