import Foundation

/// What a write changed, for other instances' caches (negative cache, `me`
/// cache, verified tokens). Any field may be absent; `everything` says a
/// listener may have missed changes (after reconnecting) and should drop all.
public struct UserChange: Sendable, Equatable, Codable {
    public var userID: UUID?
    public var canonicalEmail: String?
    /// Provider name -> record id, for the negative cache's record keys.
    public var links: [String: String]
    public var everything: Bool

    public init(userID: UUID? = nil, canonicalEmail: String? = nil, links: [String: String] = [:], everything: Bool = false) {
        self.userID = userID
        self.canonicalEmail = canonicalEmail
        self.links = links
        self.everything = everything
    }

    public static let everything = UserChange(everything: true)

    enum CodingKeys: String, CodingKey {
        case userID = "u", canonicalEmail = "e", links = "l", everything = "all"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        userID = try c.decodeIfPresent(UUID.self, forKey: .userID)
        canonicalEmail = try c.decodeIfPresent(String.self, forKey: .canonicalEmail)
        links = try c.decodeIfPresent([String: String].self, forKey: .links) ?? [:]
        everything = try c.decodeIfPresent(Bool.self, forKey: .everything) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(userID, forKey: .userID)
        try c.encodeIfPresent(canonicalEmail, forKey: .canonicalEmail)
        if !links.isEmpty { try c.encode(links, forKey: .links) }
        if everything { try c.encode(true, forKey: .everything) }
    }
}

/// Tells every other instance on the store what changed (PostgreSQL:
/// `LISTEN/NOTIFY` on one channel). Delivery is best effort: a lost change
/// costs at most the caches' own lifetimes.
public protocol ChangeFeed: Sendable {
    /// Announce `change` (after its write committed); failures are logged, never thrown.
    func publish(_ change: UserChange) async
    /// Hear other instances' changes until cancelled, reconnecting by itself;
    /// after a reconnect `handle` gets `.everything`.
    func listen(_ handle: @escaping @Sendable (UserChange) -> Void) async
}
