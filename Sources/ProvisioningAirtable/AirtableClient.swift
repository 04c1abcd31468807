import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import Provisioning

/// The Airtable Web API client behind kind `airtable`: lookups by email and
/// record id for read-through, pages for sync. Every request spends the
/// base's token bucket and passes its circuit breaker; nothing waits longer
/// than `timeout_ms`. Concurrent lookups of one key are coalesced by the
/// resolution pipeline (one singleflight per lookup, not one per layer).
/// Each response body is parsed once, in `execute`.
public final class AirtableClient: IdentitySource {
    public let settings: AirtableSettings
    public var lookupTimeoutMilliseconds: Int { settings.timeoutMilliseconds }
    public let budget: SourceBudget
    private let http: HTTPClient
    private let logger: Logger
    private let tablePath: String

    private let metrics: any MetricsFactory

    public init(
        settings: AirtableSettings, budget: SourceBudget? = nil, http: HTTPClient = .shared, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.metrics = metrics
        self.settings = settings
        self.budget = budget ?? SourceBudget(
            requestsPerSecond: settings.requestsPerSecond, failureThreshold: settings.failureThreshold, openSeconds: settings.openSeconds)
        self.http = http
        self.logger = logger
        let apiURL = settings.apiURL.hasSuffix("/") ? String(settings.apiURL.dropLast()) : settings.apiURL
        self.tablePath = "\(apiURL)/v0/\(Self.encode(settings.base))/\(Self.encode(settings.table))"
    }

    // MARK: IdentitySource

    public func lookup(canonicalEmail: String) async -> SourceLookup {
        await findByEmail(canonicalEmail)
    }

    public func lookup(recordID: String) async -> SourceLookup {
        await findByRecordID(recordID)
    }

    // MARK: Listing (sync)

    /// One page of records, optionally filtered; `offset` continues a listing.
    public struct Page: Sendable {
        public var records: [SourceRecord]
        public var invalid: [RecordMappingError]
        public var offset: String?
    }

    public enum ListError: Error, Equatable {
        /// The offset expired (422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE): restart the listing.
        case iteratorExpired
        case unavailable(retryAfterSeconds: Int)
    }

    public func listPage(
        filterByFormula: String?, offset: String?, sortAscendingBy sortField: String? = nil,
        priority: TokenBucket.Priority = .background, timeout: Duration? = nil
    ) async throws(ListError) -> Page {
        var query: [(String, String)] = [("pageSize", "100")]
        if let filterByFormula { query.append(("filterByFormula", filterByFormula)) }
        if let sortField { query += [("sort[0][field]", sortField), ("sort[0][direction]", "asc")] }
        if let offset { query.append(("offset", offset)) }
        query += requestedFields
        switch await send(url: tablePath + Self.queryString(query), priority: priority, timeout: timeout) {
        case .ok(let body):
            let (records, invalid) = mapRecords(body, fetchedAt: Date())
            return Page(records: records, invalid: invalid, offset: (body.value as? [String: Any])?["offset"] as? String)
        case .failed(422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"):
            throw .iteratorExpired
        case .rateLimited:
            throw .unavailable(retryAfterSeconds: 30)
        case .notFound, .failed, .unreachable:
            throw .unavailable(retryAfterSeconds: retryAfter())
        }
    }

    // MARK: Lookups

    private var requestedFields: [(String, String)] {
        settings.fields.values.sorted().map { ("fields[]", $0) }
    }

    private func findByEmail(_ canonicalEmail: String) async -> SourceLookup {
        let formula = Formula.emailEquals(field: settings.emailField, canonicalEmail: canonicalEmail)
        let url = tablePath + Self.queryString([("filterByFormula", formula), ("pageSize", "10")] + requestedFields)
        switch await send(url: url, priority: .interactive) {
        case .ok(let body):
            let (records, _) = mapRecords(body, fetchedAt: Date())
            guard let chosen = Self.oldest(records) else { return .notFound }
            if records.count > 1 {
                logger.warning("airtable.duplicate_email", metadata: [
                    "event": "airtable.duplicate_email", "email": .string(EmailMask.mask(canonicalEmail)),
                    "record_ids": .string(records.compactMap(\.recordID).sorted().joined(separator: ",")),
                    "chosen": .string(chosen.recordID ?? ""),
                ])
            }
            return .found(chosen)
        case .rateLimited:
            return .unavailable(retryAfterSeconds: retryAfter())
        case .notFound, .failed, .unreachable:
            // A 404 on a list request is a wrong URL or base, not "no such user".
            return .unavailable(retryAfterSeconds: retryAfter())
        }
    }

    private func findByRecordID(_ recordID: String) async -> SourceLookup {
        switch await send(url: "\(tablePath)/\(Self.encode(recordID))", priority: .interactive) {
        case .ok(let body):
            guard let record = AirtableRecord(json: body.value) else {
                return .unavailable(retryAfterSeconds: retryAfter())
            }
            do {
                return .found(try record.sourceRecord(settings: settings, fetchedAt: Date()))
            } catch {
                logInvalid(error)
                return .notFound
            }
        case .notFound:
            return .notFound
        case .rateLimited, .failed, .unreachable:
            return .unavailable(retryAfterSeconds: retryAfter())
        }
    }

    /// Duplicates resolve to the oldest `createdTime`, then the lowest record id.
    static func oldest(_ records: [SourceRecord]) -> SourceRecord? {
        records.min { ($0.createdAt ?? .distantFuture, $0.recordID ?? "") < ($1.createdAt ?? .distantFuture, $1.recordID ?? "") }
    }

    private func mapRecords(_ body: ParsedJSON, fetchedAt: Date) -> ([SourceRecord], [RecordMappingError]) {
        let object = body.value as? [String: Any]
        var records: [SourceRecord] = []
        var invalid: [RecordMappingError] = []
        for json in (object?["records"] as? [Any]) ?? [] {
            guard let record = AirtableRecord(json: json) else { continue }
            do {
                records.append(try record.sourceRecord(settings: settings, fetchedAt: fetchedAt))
            } catch {
                logInvalid(error)
                invalid.append(error)
            }
        }
        return (records, invalid)
    }

    private func logInvalid(_ error: RecordMappingError) {
        logger.error("airtable.record_invalid", metadata: [
            "event": "airtable.record_invalid", "record_id": .string(error.recordID), "detail": .string(error.description),
        ])
    }

    private func retryAfter() -> Int {
        budget.breaker.retryAfterSeconds()
    }

    // MARK: Transport

    /// One request within the deadline, through the base's budget (`SourceBudget.send`).
    private func send(url: String, priority: TokenBucket.Priority, timeout: Duration? = nil) async -> AirtableResponse {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(settings.token)")
        request.headers.add(name: "Accept", value: "application/json")
        let sent = await budget.send(priority: priority, timeout: timeout ?? .milliseconds(settings.timeoutMilliseconds)) { remaining in
            await execute(request, timeout: remaining)
        } outcome: { response in
            switch response {
            case .ok, .notFound: .answered
            case .rateLimited: .rateLimited
            // A 4xx is Airtable answering (an expired iterator, a bad token):
            // not an outage, so it does not count towards opening the circuit.
            case .failed(let status, _) where (400..<500).contains(status): .answered
            case .failed, .unreachable: .failed
            }
        }
        switch sent {
        case .success(let response):
            return response
        case .failure(.circuitOpen):
            count("circuit_open")
            return .unreachable("circuit open")
        case .failure(.budgetExhausted):
            count("budget_exhausted")
            return .unreachable("rate budget exhausted")
        }
    }

    private func execute(_ request: HTTPClientRequest, timeout: Duration) async -> AirtableResponse {
        let nanoseconds = max(Int64(1_000_000), timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(nanoseconds))
            let body = Data(buffer: try await response.body.collect(upTo: 8 << 20))
            let status = Int(response.status.code)
            count(String(status))
            switch status {
            case 200..<300:
                guard let parsed = try? JSONSerialization.jsonObject(with: body) else {
                    logFailure(status: status, detail: "malformed JSON body")
                    return .failed(status: status, type: "MALFORMED_BODY")
                }
                return .ok(ParsedJSON(value: parsed))
            case 404: return .notFound
            case 429:
                logFailure(status: status, detail: "rate limited: waiting 30 s")
                return .rateLimited
            default:
                let type = AirtableResponse.errorType(body)
                logFailure(status: status, detail: type)
                return .failed(status: status, type: type)
            }
        } catch {
            count("error")
            logFailure(status: 0, detail: String(describing: error))
            return .unreachable(String(describing: error))
        }
    }

    private func logFailure(status: Int, detail: String) {
        logger.warning("airtable.request_failed", metadata: [
            "event": "airtable.request_failed", "status": .stringConvertible(status), "detail": .string(detail),
        ])
    }

    private func count(_ status: String) {
        Counter(label: "airtable_requests", dimensions: [("status", status)], factory: metrics).increment()
    }

    // MARK: Encoding

    /// Percent-encode everything but unreserved characters, so that `+`, `&`,
    /// `=` and quotes in a formula reach Airtable intact.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ text: String) -> String {
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static func queryString(_ items: [(String, String)]) -> String {
        items.isEmpty ? "" : "?" + items.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
