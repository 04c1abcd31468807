/// The PostgreSQL schema provisiond's tables live in (`schema:` of kind
/// `postgres`, default `public`), so that it can share a database with an app
/// that has tables of the same names. Every statement names its tables
/// through this, qualified; none relies on `search_path`.
public struct PostgresSchema: Sendable, Equatable {
    public let name: String

    public static let `default` = PostgresSchema(unchecked: "public")

    /// nil unless `name` is a plain lower-case identifier (letters, digits,
    /// `_`, not starting with a digit, at most 63 bytes): nothing to quote wrong.
    public init?(_ name: String) {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
              name.utf8.count <= 63,
              name.utf8.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") })
        else { return nil }
        self.name = name
    }

    private init(unchecked name: String) { self.name = name }

    var quoted: String { "\"\(name)\"" }
    public var users: String { "\(quoted).users" }
    public var userLinks: String { "\(quoted).user_links" }
    public var refreshTokens: String { "\(quoted).refresh_tokens" }
    public var webhookEvents: String { "\(quoted).webhook_events" }
    public var syncState: String { "\(quoted).sync_state" }
    public var signInCodes: String { "\(quoted).sign_in_codes" }
    public var signInCodeBudget: String { "\(quoted).sign_in_code_budget" }
    public var userIdentities: String { "\(quoted).user_identities" }
    public var sourceBudgets: String { "\(quoted).source_budgets" }
    public var sourceSubscriptions: String { "\(quoted).source_subscriptions" }
    public var syncRuns: String { "\(quoted).sync_runs" }
    var schemaMigrations: String { "\(quoted).schema_migrations" }
}
