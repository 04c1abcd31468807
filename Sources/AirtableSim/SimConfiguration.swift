import Foundation

/// One table served by the simulator.
public struct SimTableSpec: Sendable, Hashable {
    /// The table's name, as it appears (URL-encoded) in request paths.
    public var name: String
    /// The declared field names; `nil` accepts any field name. A declared table answers
    /// `422 UNKNOWN_FIELD_NAME` for a name outside the list.
    public var fields: [String]?
    /// A computed "Last modified time" field the simulator sets on every write
    /// (ISO 8601 with milliseconds and `Z`); `nil` for none. Clients cannot write it.
    public var lastModifiedField: String?

    public init(name: String, fields: [String]? = nil, lastModifiedField: String? = SimTableSpec.defaultLastModifiedField) {
        self.name = name
        self.fields = fields
        self.lastModifiedField = lastModifiedField
    }

    /// The last-modified field name given to tables declared by flags.
    public static let defaultLastModifiedField = "Last Modified"
}

/// Everything the simulator needs to start.
public struct SimConfiguration: Sendable {
    /// Address to bind.
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free one (reported through `onListening`).
    public var port: Int = 0
    /// The personal access token every `/v0/` request must carry as `Authorization: Bearer <token>`.
    public var token: String
    /// Base id → tables.
    public var bases: [String: [SimTableSpec]]
    /// Requests per second per base before `429`; 0 = unlimited.
    public var rateLimitPerSecond: Int = 5
    /// Seconds a base stays closed (every request 429) after a request over
    /// the limit, as Airtable's 30 s; 0 = only the requests over the limit are refused.
    public var rateLimitPenaltySeconds: Int = 0
    /// Fixed latency added to every API request, in milliseconds.
    public var latencyMs: Int = 0
    /// How long a list iterator (`offset`) stays usable after its last use.
    public var iteratorTTL: Duration = .seconds(300)

    /// The base id used when none is given (`app` + 14 alphanumerics, like Airtable's).
    public static let defaultBase = "appSim00000000001"
    /// The table name used when none is given.
    public static let defaultTable = "Users"

    /// One base holding one table that accepts any field name and has a "Last Modified" field.
    public init(
        token: String,
        base: String = SimConfiguration.defaultBase,
        table: String = SimConfiguration.defaultTable,
        host: String = "127.0.0.1",
        port: Int = 0,
        rateLimitPerSecond: Int = 5,
        latencyMs: Int = 0
    ) {
        self.init(token: token, bases: [base: [SimTableSpec(name: table)]], host: host, port: port,
                  rateLimitPerSecond: rateLimitPerSecond, latencyMs: latencyMs)
    }

    /// Any number of bases and tables.
    public init(
        token: String,
        bases: [String: [SimTableSpec]],
        host: String = "127.0.0.1",
        port: Int = 0,
        rateLimitPerSecond: Int = 5,
        latencyMs: Int = 0
    ) {
        self.token = token
        self.bases = bases
        self.host = host
        self.port = port
        self.rateLimitPerSecond = rateLimitPerSecond
        self.latencyMs = latencyMs
    }
}
