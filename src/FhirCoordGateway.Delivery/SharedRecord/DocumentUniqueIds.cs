using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>
/// The identifiers of a submission, all derived from the stored document so that every retry of a delivery
/// sends the same ones (the shared record recognises a document by its uniqueId, and ITI-67 finds it by it).
/// </summary>
// Design: the uniqueId comes from the stored masterIdentifier, else from the DocumentReference id alone
// (not id + version): a replacement names the replaced document by its uniqueId, and the replaced
// DocumentReference gets a new version (status superseded) when it is replaced, so a version-bound id
// could no longer be recomputed from the reference. A new content is a new DocumentReference (relatesTo).
internal static class DocumentUniqueIds
{
    // A fixed namespace for the gateway's name-based UUIDs (RFC 9562 §5.5, version 5).
    private static readonly Guid Namespace = new("6f3c2a51-1d8e-4b7a-9c0e-5a2f4e8d7b13");

    /// <summary>The document's uniqueId: the stored masterIdentifier value, else <c>urn:uuid:</c> derived from its id.</summary>
    public static string UniqueId(DocumentReference document) =>
        document.MasterIdentifier?.Value is { Length: > 0 } stored ? stored
        : document.Id is { Length: > 0 } id ? DerivedUniqueId(id)
        : throw new DeliveryFailedException("The DocumentReference has neither a masterIdentifier nor an id to derive its uniqueId from.", transient: false);

    /// <summary>The uniqueId the gateway gives DocumentReference/<paramref name="id"/> when it has no masterIdentifier.</summary>
    public static string DerivedUniqueId(string id) => "urn:uuid:" + NameBased("DocumentReference/" + id);

    /// <summary>A stable <c>urn:uuid:</c> for one part (<paramref name="part"/>) of the submission of <paramref name="uniqueId"/>.</summary>
    public static string EntryUuid(string uniqueId, string part) => "urn:uuid:" + NameBased(uniqueId + "#" + part);

    /// <summary>
    /// The SubmissionSet uniqueId, an OID as MHD requires (mhd-startswithoid): the UUID-based arc 2.25 (ITU-T X.667)
    /// followed by the UUID read as an unsigned 128-bit integer.
    /// </summary>
    public static string SubmissionSetUniqueId(string uniqueId)
    {
        var uuid = NameBased(uniqueId + "#submissionset");
        var number = new BigInteger(Convert.FromHexString(uuid.ToString("N")), isUnsigned: true, isBigEndian: true);
        return "urn:oid:2.25." + number.ToString(CultureInfo.InvariantCulture);
    }

    private static Guid NameBased(string name)
    {
        var hash = SHA1.HashData([.. Namespace.ToByteArray(bigEndian: true), .. Encoding.UTF8.GetBytes(name)]);
        hash[6] = (byte)(hash[6] & 0x0F | 0x50);
        hash[8] = (byte)(hash[8] & 0x3F | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
