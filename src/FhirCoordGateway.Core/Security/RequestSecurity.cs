namespace FhirCoordGateway.Core.Security;

/// <summary>
/// The security state of the request being served: the caller's access, the request as the authorization point
/// described it, and what it touched (for its AuditEvent). Null outside requests (start-up, background jobs):
/// then the secured stores add nothing.
/// </summary>
public sealed class RequestSecurity(RequestAccess access, FhirRequestContext request, string correlationId)
{
    private readonly List<string> _entities = [];
    private int _audited;

    public RequestAccess Access { get; } = access;

    public FhirRequestContext Request { get; } = request;

    public string CorrelationId { get; } = correlationId;

    /// <summary>Set when the request has been answered: work it started that outlives it no longer acts for its caller.</summary>
    public bool Ended { get; set; }

    /// <summary>True once a unit of work committed an AuditEvent for this request together with its writes.</summary>
    public bool AuditedWithWrite { get; private set; }

    /// <summary>True when the request still needs an AuditEvent after it ends: none was written, or accesses came after it.</summary>
    public bool NeedsAudit
    {
        get
        {
            lock (_entities)
            {
                return !AuditedWithWrite || _audited < _entities.Count;
            }
        }
    }

    /// <summary>References of the resources read, returned or written (never their content) that no AuditEvent holds yet.</summary>
    public IReadOnlyList<string> Unaudited()
    {
        lock (_entities)
        {
            return _entities.GetRange(_audited, _entities.Count - _audited);
        }
    }

    /// <summary>Called once a write's transaction committed with an AuditEvent holding the first <paramref name="count"/> unaudited references.</summary>
    public void AuditedWithCommit(int count)
    {
        lock (_entities)
        {
            _audited += count;
            AuditedWithWrite = true;
        }
    }

    public void Touched(string reference)
    {
        lock (_entities)
        {
            if (_entities.Count < AuditTrail.MaxEntities)
            {
                _entities.Add(reference);
            }
        }
    }
}

/// <summary>
/// Carries <see cref="RequestSecurity"/> along the request's async flow (like fhir-server's
/// <c>RequestContextAccessor</c>), so that every store call of the request, batch entries included, sees it.
/// </summary>
public sealed class RequestSecurityAccessor
{
    private readonly AsyncLocal<RequestSecurity?> _current = new();

    public RequestSecurity? Current
    {
        get => _current.Value is { Ended: false } current ? current : null;
        set => _current.Value = value;
    }
}
