import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import Provisioning
import Synchronization

/// The SCIM 2.0 client behind kind `scim`: lookups by email (`filter=emails.value
/// eq "…"`) and by id for read-through, `/Users` pages for sync. Every
/// request spends the service provider's budget (`SourceBudget.send`) and
/// waits no longer than `timeout_ms`. A user whose `active` is false is
/// not found by a lookup and listed as deleted.
public final class SCIMClient: IdentitySource {
    let settings: SCIMSettings
    public var lookupTimeoutMilliseconds: Int { settings.timeoutMilliseconds }
    let budget: SourceBudget
    private let http: HTTPClient
    let logger: Logger
    private let metrics: any MetricsFactory
    /// Whether the server filters on `meta.lastModified` (until it refuses once).
    let filtersByLastModified = Atomic<Bool>(true)

    init(settings: SCIMSettings, budget: SourceBudget, http: HTTPClient = .shared, logger: Logger, metrics: any MetricsFactory) {
        self.settings = settings
        self.budget = budget
        self.http = http
        self.logger = logger
        self.metrics = metrics
    }

    // MARK: IdentitySource

    public func lookup(canonicalEmail: String) async -> SourceLookup {
        let url = settings.usersURL + Self.query([("filter", SCIMFilter.emailEquals(canonicalEmail)), ("count", "10")])
        switch await send(url, priority: .interactive) {
        case .ok(let body):
            let users = resources(body).compactMap { mapResource($0, fetchedAt: Date()) }.compactMap { resource -> SourceRecord? in
                if case .active(let record) = resource { return record } else { return nil }
            }
            // Duplicates resolve to the oldest `meta.created`, then the lowest id.
            let chosen = users.min { ($0.createdAt ?? .distantFuture, $0.recordID ?? "") < ($1.createdAt ?? .distantFuture, $1.recordID ?? "") }
            return chosen.map(SourceLookup.found) ?? .notFound
        case .notFound, .failed, .rateLimited, .unreachable:
            // A 404 on the collection is a wrong base_url, not "no such user".
            return .unavailable(retryAfterSeconds: budget.breaker.retryAfterSeconds())
        }
    }

    public func lookup(recordID: String) async -> SourceLookup {
        switch await send(settings.usersURL + "/" + Self.encode(recordID), priority: .interactive) {
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

    func resources(_ body: ParsedBody) -> [[String: Any]] {
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

    /// A response body parsed once.
    struct ParsedBody: @unchecked Sendable {
        let value: Any
    }

    enum Response: Sendable {
        case ok(ParsedBody)
        case notFound
        case failed(status: Int, scimType: String?)
        case rateLimited
        case unreachable(String)
    }

    func send(_ url: String, priority: TokenBucket.Priority, timeout: Duration? = nil) async -> Response {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(settings.token)")
        request.headers.add(name: "Accept", value: "application/scim+json, application/json")
        let sent = await budget.send(priority: priority, timeout: timeout ?? .milliseconds(settings.timeoutMilliseconds)) { remaining in
            await execute(request, timeout: remaining)
        } outcome: { response in
            switch response {
            case .ok, .notFound: .answered
            case .rateLimited: .rateLimited
            case .failed(let status, _) where (400..<500).contains(status): .answered
            case .failed, .unreachable: .failed
            }
        }
        switch sent {
        case .success(let response): return response
        case .failure(.circuitOpen):
            count("circuit_open")
            return .unreachable("circuit open")
        case .failure(.budgetExhausted):
            count("budget_exhausted")
            return .unreachable("rate budget exhausted")
        }
    }

    private func execute(_ request: HTTPClientRequest, timeout: Duration) async -> Response {
        let nanoseconds = max(Int64(1_000_000), timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(nanoseconds))
            let body = Data(buffer: try await response.body.collect(upTo: 8 << 20))
            let status = Int(response.status.code)
            count(String(status))
            let parsed = try? JSONSerialization.jsonObject(with: body)
            switch status {
            case 200..<300:
                guard let parsed else {
                    logFailure(status: status, detail: "malformed JSON body")
                    return .failed(status: 502, scimType: nil)
                }
                return .ok(ParsedBody(value: parsed))
            case 404: return .notFound
            case 429:
                logFailure(status: status, detail: "rate limited")
                return .rateLimited
            default:
                let scimType = (parsed as? [String: Any])?["scimType"] as? String
                logFailure(status: status, detail: scimType ?? "")
                return .failed(status: status, scimType: scimType)
            }
        } catch {
            count("error")
            logFailure(status: 0, detail: String(describing: error))
            return .unreachable(String(describing: error))
        }
    }

    private func logFailure(status: Int, detail: String) {
        logger.warning("scim.request_failed", metadata: [
            "event": "scim.request_failed", "status": .stringConvertible(status), "detail": .string(detail),
        ])
    }

    private func count(_ status: String) {
        Counter(label: "scim_requests", dimensions: [("status", status)], factory: metrics).increment()
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static func query(_ items: [(String, String)]) -> String {
        "?" + items.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
