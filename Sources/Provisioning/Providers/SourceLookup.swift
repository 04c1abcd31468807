/// What a source answers to a lookup. `unavailable` is a value, not an error:
/// it decides between 503 and 401.
public enum SourceLookup: Sendable, Equatable {
    case found(SourceRecord)
    case notFound
    /// The source could not answer (down, slow, rate-limited, circuit open).
    case unavailable(retryAfterSeconds: Int)
}
