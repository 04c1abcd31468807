import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import Provisioning
import ProvisioningHTTPSource

/// The Airtable Web API client behind kind `airtable`: lookups by email and
/// record id for read-through, pages for sync. Every request spends the
/// base's token bucket and passes its circuit breaker; nothing waits longer
/// than `timeout_ms`. Concurrent lookups of one key are coalesced by the
/// resolution pipeline (one singleflight per lookup, not one per layer).
/// Each response body is parsed once, in `execute`.
public final class AirtableClient: IdentitySource {
    public let settings: AirtableSettings
    public var lookupTimeoutMilliseconds: Int { settings.timeoutMilliseconds }
    public var budget: SourceBudget { transport.budget }
    public var sourceBudget: SourceBudget? { transport.budget }
    let transport: HTTPSourceTransport
    let logger: Logger
    private let tablePath: String
    /// `{api_url}/v0`.
    let apiRoot: String

    public init(
        settings: AirtableSettings, budget: SourceBudget? = nil, http: HTTPClient = .shared, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.settings = settings
        self.transport = HTTPSourceTransport(
            kind: "airtable", token: settings.token,
            budget: budget ?? SourceBudget(
                requestsPerSecond: settings.requestsPerSecond, failureThreshold: settings.failureThreshold, openSeconds: settings.openSeconds),
            errorDetail: AirtableErrorBody.type, http: http, logger: logger, metrics: metrics)
        self.logger = logger
        let apiURL = settings.apiURL.hasSuffix("/") ? String(settings.apiURL.dropLast()) : settings.apiURL
        self.apiRoot = "\(apiURL)/v0"
        self.tablePath = "\(apiURL)/v0/\(Self.encode(settings.base))/\(Self.encode(settings.table))"
    }

    // MARK: IdentitySource

    public func lookup(canonicalEmail: String) async -> SourceLookup {
        await findByEmail(canonicalEmail, priority: .interactive)
    }

    public func lookup(canonicalEmail: String, priority: RequestPriority) async -> SourceLookup {
        await findByEmail(canonicalEmail, priority: priority)
    }

    public func lookup(recordID: String, priority: RequestPriority) async -> SourceLookup {
        await findByRecordID(recordID, priority: priority)
    }

    public func lookup(recordID: String) async -> SourceLookup {
        await findByRecordID(recordID, priority: .interactive)
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
        priority: RequestPriority = .background, timeout: Duration? = nil
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

    private func findByEmail(_ canonicalEmail: String, priority: RequestPriority) async -> SourceLookup {
        let formula = Formula.emailEquals(field: settings.emailField, canonicalEmail: canonicalEmail)
        let url = tablePath + Self.queryString([("filterByFormula", formula), ("pageSize", "10")] + requestedFields)
        switch await send(url: url, priority: priority) {
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

    func findByRecordID(_ recordID: String, priority: RequestPriority) async -> SourceLookup {
        switch await send(url: "\(tablePath)/\(Self.encode(recordID))", priority: priority) {
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

    func logInvalid(_ error: RecordMappingError) {
        logger.error("airtable.record_invalid", metadata: [
            "event": "airtable.record_invalid", "record_id": .string(error.recordID), "detail": .string(error.description),
        ])
    }

    private func retryAfter() -> Int {
        budget.breaker.retryAfterSeconds()
    }

    // MARK: Transport

    /// One request within the deadline, through the base's budget.
    private func send(url: String, priority: RequestPriority, timeout: Duration? = nil) async -> HTTPSourceReply {
        await transport.get(url, priority: priority, timeout: timeout ?? .milliseconds(settings.timeoutMilliseconds))
    }

    static func encode(_ text: String) -> String { HTTPSourceTransport.encode(text) }
    static func queryString(_ items: [(String, String)]) -> String { HTTPSourceTransport.query(items) }
}
