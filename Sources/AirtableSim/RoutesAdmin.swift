import Foundation
import Hummingbird

/// `/_sim/...`: control routes. No auth, never rate-limited, never counted.
///
/// - `POST /_sim/latency` `{"fixed_ms": N, "jitter_ms": M}`; `GET /_sim/latency`
/// - `POST /_sim/faults` `{"mode": "status500|status503|status429|hang|reset|malformed_json", "count": N}`
///   or `{"mode": ..., "fraction": 0.5}` (optional `"hang_ms"`, default 60000); `GET`/`DELETE /_sim/faults`
/// - `GET /_sim/requests` (last 1000 API requests), `GET /_sim/counters`
/// - `POST /_sim/reset` (`?data=true` also clears every record)
/// - `POST /_sim/rate-limit` `{"per_second": N, "penalty_s": S}` (penalty optional, kept when absent); `POST /_sim/iterators/expire`
/// - `POST /_sim/webhooks/{id}` `{"expire": true}` (gone, as Airtable deletes an expired webhook),
///   `{"enabled": false}` (`isHookEnabled`: no payloads, no pings), `{"advance_s": N}` (its clock moves on N seconds)
extension AirtableSimulator {
    func respondAdmin(to request: Request) async -> Response {
        let path = request.uri.path.hasSuffix("/") ? String(request.uri.path.dropLast()) : request.uri.path
        do {
            if request.method == .post, path.hasPrefix("/_sim/webhooks/") {
                let id = String(path.dropFirst("/_sim/webhooks/".count))
                let body = try await adminBody(request)
                guard let state = controlWebhook(id: id, expire: body["expire"]?.boolValue ?? false,
                                                     enabled: body["enabled"]?.boolValue, advanceSeconds: body["advance_s"]?.intValue) else {
                    return Self.json(404, ["error": "NOT_FOUND"])
                }
                return Self.json(200, state)
            }
            switch (request.method, path) {
            case (.get, "/_sim/counters"):
                return Self.json(200, counters().json)
            case (.get, "/_sim/requests"):
                return Self.json(200, ["requests": .array(requestLog().map(\.json))])
            case (.get, "/_sim/latency"):
                return Self.json(200, latencyJSON)
            case (.post, "/_sim/latency"):
                let body = try await adminBody(request)
                guard let fixed = body["fixed_ms"].map({ $0.intValue }) ?? 0,
                    let jitter = body["jitter_ms"].map({ $0.intValue }) ?? 0, fixed >= 0, jitter >= 0
                else { throw AdminError("fixed_ms and jitter_ms must be non-negative integers") }
                setLatency(fixedMs: fixed, jitterMs: jitter)
                return Self.json(200, latencyJSON)
            case (.get, "/_sim/faults"):
                return Self.json(200, ["fault": currentFault().map(Self.faultJSON) ?? .null])
            case (.post, "/_sim/faults"):
                let fault = try Self.fault(from: try await adminBody(request))
                setFault(fault)
                return Self.json(200, ["fault": Self.faultJSON(fault)])
            case (.delete, "/_sim/faults"):
                clearFaults()
                return Self.json(200, ["fault": .null])
            case (.post, "/_sim/reset"):
                let query = (try? SimQuery.parse(request.uri.query)) ?? []
                let clearData = query.contains { $0.key == "data" && ($0.value == "true" || $0.value == "1") }
                reset(data: clearData)
                return Self.json(200, ["reset": true, "data": .bool(clearData)])
            case (.post, "/_sim/rate-limit"):
                let body = try await adminBody(request)
                guard let n = body["per_second"]?.intValue, n >= 0 else {
                    throw AdminError("per_second must be a non-negative integer")
                }
                let penalty = body["penalty_s"]?.intValue
                if body["penalty_s"] != nil, (penalty ?? -1) < 0 { throw AdminError("penalty_s must be a non-negative integer") }
                setRateLimit(perSecond: n, penaltySeconds: penalty)
                return Self.json(200, ["per_second": .number(Double(n)), "penalty_s": .number(Double(penalty ?? 0))])
            case (.post, "/_sim/iterators/expire"):
                expireIterators()
                return Self.json(200, ["expired": true])
            default:
                return Self.json(404, ["error": "NOT_FOUND"])
            }
        } catch let error as AdminError {
            return Self.json(400, ["error": .string(error.message)])
        } catch {
            return Self.json(400, ["error": .string("\(error)")])
        }
    }

    private var latencyJSON: SimValue {
        let l = latency()
        return ["fixed_ms": .number(Double(l.fixedMs)), "jitter_ms": .number(Double(l.jitterMs))]
    }

    private func adminBody(_ request: Request) async throws -> SimValue {
        do {
            let value = try await Self.body(of: request, emptyAllowed: true)
            guard case .object = value else { throw AdminError("the body must be a JSON object") }
            return value
        } catch let error as SimAPIError {
            throw AdminError(error.status == 413 ? "body too large" : "the body must be JSON")
        }
    }

    static func fault(from body: SimValue) throws -> SimFault {
        guard let modeName = body["mode"]?.stringValue, let mode = SimFaultMode(rawValue: modeName) else {
            throw AdminError("mode must be one of \(SimFaultMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var fault = SimFault(mode: mode)
        if let count = body["count"] {
            guard let n = count.intValue, n > 0 else { throw AdminError("count must be a positive integer") }
            fault.count = n
        }
        if let fraction = body["fraction"] {
            guard case .number(let f) = fraction, f >= 0, f <= 1 else { throw AdminError("fraction must be between 0 and 1") }
            fault.fraction = f
        }
        if let hang = body["hang_ms"] {
            guard let n = hang.intValue, n >= 0 else { throw AdminError("hang_ms must be a non-negative integer") }
            fault.hangMs = n
        }
        return fault
    }

    static func faultJSON(_ fault: SimFault) -> SimValue {
        var o: [String: SimValue] = ["mode": .string(fault.mode.rawValue), "hang_ms": .number(Double(fault.hangMs))]
        if let count = fault.count { o["count"] = .number(Double(count)) }
        if let fraction = fault.fraction { o["fraction"] = .number(fraction) }
        return .object(o)
    }
}

struct AdminError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
