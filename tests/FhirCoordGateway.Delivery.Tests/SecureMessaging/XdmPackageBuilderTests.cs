using System.IO.Compression;
using FhirCoordGateway.Delivery.SecureMessaging;
using static FhirCoordGateway.Delivery.Tests.SecureMessaging.SecureMessagingTestData;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

public sealed class XdmPackageBuilderTests
{
    private static readonly XdmSubmission Submission = new("2.25.1234", SourceId, Now, Recipient);

    private static byte[] Build(OutboundDocument document, XdmSubmission submission) =>
        XdmPackageBuilder.Build(XdmDocumentEntry.From(document, LocalPatientIdOid), document.Content, submission);

    [Fact]
    public void GivenSameInput_WhenBuildingTwice_ThenBytesAreIdentical()
    {
        Assert.Equal(Build(Crh(), Submission), Build(Crh(), Submission));
    }

    [Fact]
    public void GivenLaterSubmission_WhenBuilding_ThenPackageDiffers()
    {
        Assert.NotEqual(Build(Crh(), Submission), Build(Crh(), Submission with { SubmissionTime = Now.AddMinutes(1) }));
    }

    [Fact]
    public void GivenPackage_WhenReadingEntries_ThenTimestampsAreTheSubmissionTimeInUtc()
    {
        using var zip = new ZipArchive(new MemoryStream(Build(Crh(), Submission)));

        // ZIP (DOS) times have a two-second resolution: 09:26:53 is stored as 09:26:52.
        Assert.All(zip.Entries, e => Assert.Equal(new DateTime(2026, 3, 14, 9, 26, 52), e.LastWriteTime.DateTime));
    }

    [Fact]
    public void GivenPatientWithoutIns_WhenReadingMetadata_ThenPatientIdIsTheGatewayIdAndInsIsNotQualified()
    {
        var entry = XdmDocumentEntry.From(Crh(qualifiedIns: false), LocalPatientIdOid);

        Assert.Equal($"pat-9d3f^^^&{LocalPatientIdOid}&ISO^PI", entry.PatientId);
        Assert.False(entry.HasQualifiedIns);
        Assert.Contains($"PID-3|pat-9d3f^^^&{LocalPatientIdOid}&ISO^PI", entry.SourcePatientInfo);
    }

    [Fact]
    public void GivenInsWithoutQualifiedIdentityStatus_WhenReadingMetadata_ThenInsIsUsedButNotQualified()
    {
        var document = Crh();
        document.Patient.Extension.Clear();

        var entry = XdmDocumentEntry.From(document, LocalPatientIdOid);

        Assert.Equal($"{Nir}^^^&1.2.250.1.213.1.4.8&ISO^NH", entry.PatientId);
        Assert.False(entry.HasQualifiedIns);
    }

    [Fact]
    public void GivenDocumentWithoutMasterIdentifier_WhenReadingMetadata_ThenUniqueIdIsAStableOidOfIdAndVersion()
    {
        var uniqueId = UniqueIdWithoutMasterIdentifier("2");

        Assert.Matches(@"^2\.25\.[1-9][0-9]*$", uniqueId);
        Assert.Equal(uniqueId, UniqueIdWithoutMasterIdentifier("2"));
        Assert.NotEqual(uniqueId, UniqueIdWithoutMasterIdentifier("3"));
    }

    private static string UniqueIdWithoutMasterIdentifier(string versionId)
    {
        var document = Crh();
        document.Document.MasterIdentifier = null;
        document.Document.Meta!.VersionId = versionId;
        return XdmDocumentEntry.From(document, LocalPatientIdOid).UniqueId;
    }

    [Fact]
    public void GivenDocumentWithoutType_WhenReadingMetadata_ThenDeliveryFailsPermanently()
    {
        var document = Crh();
        document.Document.Type = null;

        var failure = Assert.Throws<DeliveryFailedException>(() => XdmDocumentEntry.From(document, LocalPatientIdOid));

        Assert.False(failure.Transient);
        Assert.Contains("DocumentReference/doc-9d3f", failure.Message);
    }
}
