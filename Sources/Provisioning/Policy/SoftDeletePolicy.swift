/// What a delete event does (`soft_delete:`).
public struct SoftDeletePolicy: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Set `deleted_at`; the row stays.
        case soft
        /// Remove the row and its refresh tokens.
        case hard
        /// Record the event only.
        case ignore
    }

    public var onDeleteEvent: Mode
    public var deletedUsersCanLogin: Bool
    public var restoreOnUpdate: Bool

    public init(onDeleteEvent: Mode = .soft, deletedUsersCanLogin: Bool = false, restoreOnUpdate: Bool = true) {
        self.onDeleteEvent = onDeleteEvent
        self.deletedUsersCanLogin = deletedUsersCanLogin
        self.restoreOnUpdate = restoreOnUpdate
    }

    /// Whether this user may log in, refresh or call `me`.
    public func allowsLogin(_ user: StoredUser) -> Bool {
        user.deletedAt == nil || deletedUsersCanLogin
    }
}
