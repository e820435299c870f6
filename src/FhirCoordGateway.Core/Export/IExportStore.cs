namespace FhirCoordGateway.Core.Export;

/// <summary>Port to the durable state of bulk exports and their output files (PostgreSQL, ADR 0015).</summary>
public interface IExportStore
{
    /// <summary>Records a queued export.</summary>
    Task CreateAsync(Guid id, ExportRequest request, DateTimeOffset transactionTime, CancellationToken ct);

    /// <summary>The export with its files' descriptions (not their content), or null when unknown or deleted.</summary>
    Task<ExportJob?> GetAsync(Guid id, CancellationToken ct);

    /// <summary>
    /// Marks a queued (or interrupted running) export running and drops output an earlier attempt left; null when
    /// there is nothing to run (deleted, completed or failed).
    /// </summary>
    Task<ExportJob?> StartAsync(Guid id, CancellationToken ct);

    /// <summary>Appends one ndjson file; false when the export was deleted meanwhile (the job then stops).</summary>
    Task<bool> AddFileAsync(Guid id, ExportFile file, string ndjson, CancellationToken ct);

    Task ProgressAsync(Guid id, string progress, CancellationToken ct);

    Task CompleteAsync(Guid id, CancellationToken ct);

    Task FailAsync(Guid id, string error, CancellationToken ct);

    /// <summary>The content of one file, or null.</summary>
    Task<string?> ReadFileAsync(Guid id, int number, CancellationToken ct);

    /// <summary>Deletes the export and its files (cancelling it if it runs); false when unknown.</summary>
    Task<bool> DeleteAsync(Guid id, CancellationToken ct);
}
