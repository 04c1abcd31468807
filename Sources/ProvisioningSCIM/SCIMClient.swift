import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import Provisioning
import ProvisioningHTTPSource
import Synchronization

/// The SCIM 2.0 client behind kind `scim`: lookups by email (`filter=emails.value
/// eq "…"`) and by id for read-through, `/Users` pages for sync. Every
/// request spends the service provider's budget (`SourceBudget.send`) and
/// waits no longer than `timeout_ms`. A user whose `active` is false is
/// not found by a lookup and listed as deleted.
public final class SCIMClient: IdentitySource {
    let settings: SCIMSettings
    public var lookupTimeoutMilliseconds: Int { settings.timeoutMilliseconds }
    var budget: SourceBudget { transport.budget }
    public var sourceBudget: SourceBudget? { transport.budget }
    private let transport: HTTPSourceTransport
    let logger: Logger
    /// Whether the server filters on `meta.lastModified` (until it refuses once).
    let filtersByLastModified = Atomic<Bool>(true)

    init(settings: SCIMSettings, budget: SourceBudget, http: HTTPClient = .shared, logger: Logger, metrics: any MetricsFactory) {
        self.settings = settings
        self.transport = HTTPSourceTransport(
            kind: "scim", token: settings.token, accept: "application/scim+json, application/json", budget: budget,
            errorDetail: Self.errorDetail, http: http, logger: logger, metrics: metrics)
        self.logger = logger
    }

    // MARK: IdentitySource

    public func lookup(canonicalEmail: String) async -> SourceLookup {
        await lookup(canonicalEmail: canonicalEmail, priority: .interactive)
    }

    public func lookup(recordID: String) async -> SourceLookup {
        await lookup(recordID: recordID, priority: .interactive)
    }

    public func lookup(canonicalEmail: String, priority: RequestPriority) async -> SourceLookup {
        let url = settings.usersURL + Self.query([("filter", SCIMFilter.emailEquals(canonicalEmail)), ("count", "10")])
        switch await send(url, priority: priority) {
        case .ok(let body):
            // The filter matches any of a user's emails; only a user whose mapped
            // email is this one is this email's user (another's would be
            // imported under a different address).
            let users = resources(body).compactMap { mapResource($0, fetchedAt: Date()) }.compactMap { resource -> SourceRecord? in
                guard case .active(let record) = resource,
                      EmailAddress.canonical(record.values[Attribute.email] ?? "") == canonicalEmail else { return nil }
                return record
            }
            // Duplicates resolve to the oldest `meta.created`, then the lowest id.
            let chosen = users.min { ($0.createdAt ?? .distantFuture, $0.recordID ?? "") < ($1.createdAt ?? .distantFuture, $1.recordID ?? "") }
            return chosen.map(SourceLookup.found) ?? .notFound
        case .notFound, .failed, .rateLimited, .unreachable:
            // A 404 on the collection is a wrong base_url, not "no such user".
            return .unavailable(retryAfterSeconds: budget.breaker.retryAfterSeconds())
        }
    }

    public func lookup(recordID: String, priority: RequestPriority) async -> SourceLookup {
        switch await send(settings.usersURL + "/" + Self.encode(recordID), priority: priority) {
        case .ok(let body):
            guard let object = body.value as? [String: Any], case .active(let record)? = mapResource(object, fetchedAt: Date()) else { return .notFound }
            return .found(record)
        case .notFound:
            return .notFound
        case .failed, .rateLimited, .unreachable:
            return .unavailable(retryAfterSeconds: budget.breaker.retryAfterSeconds())
        }
    }

    // MARK: Mapping

    enum Resource {
        case active(SourceRecord)
        case inactive(DeletedRecord)
    }

    func resources(_ body: ParsedJSON) -> [[String: Any]] {
        ((body.value as? [String: Any])?["Resources"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
    }

    /// nil for a resource without an id.
    func mapResource(_ resource: [String: Any], fetchedAt: Date) -> Resource? {
        guard let id = resource["id"] as? String, !id.isEmpty else { return nil }
        let meta = resource["meta"] as? [String: Any]
        let modifiedText = settings.fields[Attribute.modifiedAt]?.value(in: resource) ?? meta?["lastModified"] as? String
        let modifiedAt = modifiedText.flatMap(SCIMTime.parse) ?? fetchedAt
        if resource["active"] as? Bool == false {
            return .inactive(DeletedRecord(recordID: id, modifiedAt: modifiedAt))
        }
        var values: [String: String] = [:]
        for (attribute, path) in settings.fields where attribute != Attribute.modifiedAt {
            values[attribute] = path.value(in: resource)
        }
        let created = (meta?["created"] as? String).flatMap(SCIMTime.parse)
        return .active(SourceRecord(recordID: id, values: values, modifiedAt: modifiedAt, createdAt: created))
    }

    // MARK: Transport

    func send(_ url: String, priority: RequestPriority, timeout: Duration? = nil) async -> HTTPSourceReply {
        await transport.get(url, priority: priority, timeout: timeout ?? .milliseconds(settings.timeoutMilliseconds))
    }

    /// A SCIM error body's `scimType` (RFC 7644 §3.12), else its `detail`.
    @Sendable static func errorDetail(_ body: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return "" }
        return (object["scimType"] as? String) ?? (object["detail"] as? String) ?? ""
    }

    static func encode(_ text: String) -> String { HTTPSourceTransport.encode(text) }
    static func query(_ items: [(String, String)]) -> String { HTTPSourceTransport.query(items) }
}
