import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Provisioning

/// The requests every HTTP source kind sends (Airtable, SCIM): bearer token,
/// through the source's budget and circuit (`SourceBudget.send`), never
/// longer than the timeout, its body parsed once. Each request is counted as
/// `<kind>_requests{status}` and a failure logged as `<kind>.request_failed`.
public struct HTTPSourceTransport: Sendable {
    let kind: String
    let token: String
    let accept: String
    public let budget: SourceBudget
    /// The kind's reading of an error body (Airtable's error type, SCIM's `scimType`).
    let errorDetail: @Sendable (Data) -> String
    let http: HTTPClient
    let logger: Logger
    let metrics: any MetricsFactory

    public init(
        kind: String, token: String, accept: String = "application/json", budget: SourceBudget,
        errorDetail: @escaping @Sendable (Data) -> String, http: HTTPClient = .shared, logger: Logger, metrics: any MetricsFactory
    ) {
        self.kind = kind
        self.token = token
        self.accept = accept
        self.budget = budget
        self.errorDetail = errorDetail
        self.http = http
        self.logger = logger
        self.metrics = metrics
    }

    public func get(_ url: String, priority: RequestPriority, timeout: Duration) async -> HTTPSourceReply {
        await send(.GET, url, priority: priority, timeout: timeout)
    }

    /// Any method, with an optional JSON body (Airtable's webhook routes).
    public func send(
        _ method: HTTPMethod, _ url: String, json: Data? = nil, priority: RequestPriority, timeout: Duration
    ) async -> HTTPSourceReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: accept)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: json))
        }
        let sent = await budget.send(priority: priority, timeout: timeout) { remaining in
            await execute(request, timeout: remaining)
        } outcome: { reply in
            switch reply {
            case .ok, .notFound: .answered
            case .rateLimited: .rateLimited
            // A 4xx is the service answering (an expired offset, a bad
            // token): not an outage, so it does not count towards the circuit.
            case .failed(let status, _) where (400..<500).contains(status): .answered
            case .failed, .unreachable: .failed
            }
        }
        switch sent {
        case .success(let reply):
            return reply
        case .failure(.circuitOpen):
            count("circuit_open")
            return .unreachable("circuit open")
        case .failure(.budgetExhausted):
            count("budget_exhausted")
            return .unreachable("rate budget exhausted")
        }
    }

    private func execute(_ request: HTTPClientRequest, timeout: Duration) async -> HTTPSourceReply {
        let nanoseconds = max(Int64(1_000_000), timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(nanoseconds))
            let body = Data(buffer: try await response.body.collect(upTo: 8 << 20))
            let status = Int(response.status.code)
            count(String(status))
            switch status {
            // An empty 2xx (Airtable's answer to a DELETE, say) is a success with nothing in it.
            case 200..<300 where body.isEmpty:
                return .ok(ParsedJSON(value: [String: Any]()))
            case 200..<300:
                guard let parsed = try? JSONSerialization.jsonObject(with: body) else {
                    logFailure(status: status, detail: "malformed JSON body")
                    return .failed(status: status, detail: "malformed JSON body")
                }
                return .ok(ParsedJSON(value: parsed))
            case 404:
                return .notFound
            case 429:
                logFailure(status: status, detail: "rate limited")
                return .rateLimited
            default:
                let detail = errorDetail(body)
                logFailure(status: status, detail: detail)
                return .failed(status: status, detail: detail)
            }
        } catch {
            count("error")
            logFailure(status: 0, detail: String(describing: error))
            return .unreachable(String(describing: error))
        }
    }

    private func logFailure(status: Int, detail: String) {
        logger.warning("\(kind).request_failed", metadata: [
            "event": .string("\(kind).request_failed"), "status": .stringConvertible(status), "detail": .string(detail),
        ])
    }

    private func count(_ status: String) {
        Counter(label: "\(kind)_requests", dimensions: [("status", status)], factory: metrics).increment()
    }

    // MARK: URLs

    /// Percent-encode everything but unreserved characters, so that `+`, `&`,
    /// `=` and quotes in a formula or filter reach the service intact.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    public static func query(_ items: [(String, String)]) -> String {
        items.isEmpty ? "" : "?" + items.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
