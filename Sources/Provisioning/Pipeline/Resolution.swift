/// The answer of the pipeline to "who is this?".
public enum Resolution: Sendable, Equatable {
    /// In the store; `provisioned` when it was just imported from a source.
    case found(StoredUser, provisioned: Bool)
    /// No provider knows the user.
    case notFound
    /// Not in the store, and a source that could hold the user did not answer.
    case unavailable(retryAfterSeconds: Int)
}
