import Foundation
import Provisioning

/// A `scim` provider's config section (CONTRACT.md §11).
public struct SCIMSettings: Sendable {
    /// The service provider's root; `/Users` is below it.
    public var baseURL: String
    public var token: String
    public var timeoutMilliseconds: Int
    public var requestsPerSecond: Int
    public var failureThreshold: Int
    public var openSeconds: Int
    /// Attribute -> SCIM attribute path; `modified_at` defaults to `meta.lastModified`.
    var fields: [String: SCIMPath]
    /// `count` of a listing page.
    public var pageSize: Int

    static let defaultFields = [
        Attribute.email: "emails[primary eq true].value",
        Attribute.displayName: "name.formatted",
    ]

    /// The budget's key: every provider on one service provider shares it.
    var budgetKey: String { baseURL }

    var usersURL: String {
        (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/Users"
    }
}
