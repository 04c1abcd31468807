import Foundation

/// The kind of API request, for counters.
public enum SimRequestKind: String, Sendable, CaseIterable, Codable {
    case list, get, create, update, delete, other
}

/// What the simulator has answered since start or the last reset. `/_sim/` requests are not counted.
public struct SimCounters: Sendable, Equatable {
    public var total = 0
    public var byKind: [SimRequestKind: Int] = [:]
    public var byStatus: [Int: Int] = [:]
    /// Requests refused with 429 by the rate limiter (injected `status429` faults are not included).
    public var rateLimited = 0
    /// Requests that received an injected fault.
    public var faultsInjected = 0

    public init() {}

    public subscript(kind: SimRequestKind) -> Int { byKind[kind] ?? 0 }
    public subscript(status status: Int) -> Int { byStatus[status] ?? 0 }

    var json: SimValue {
        var kinds: [String: SimValue] = [:]
        for kind in SimRequestKind.allCases { kinds[kind.rawValue] = .number(Double(self[kind])) }
        var statuses: [String: SimValue] = [:]
        for (status, n) in byStatus { statuses[String(status)] = .number(Double(n)) }
        return ["total": .number(Double(total)), "by_kind": .object(kinds), "by_status": .object(statuses),
                "rate_limited": .number(Double(rateLimited)), "faults_injected": .number(Double(faultsInjected))]
    }
}

/// One API request as the simulator saw it.
public struct SimRequestLogEntry: Sendable, Equatable {
    public var method: String
    /// The raw (still percent-encoded) path.
    public var path: String
    /// The raw query string, `""` when absent.
    public var query: String
    /// The status answered; 0 when no response was sent (`hang` given up, `reset`).
    public var status: Int
    public var kind: SimRequestKind
    public var time: Date
    public var durationMs: Int
    /// The injected fault, if any.
    public var fault: SimFaultMode?

    var json: SimValue {
        var o: [String: SimValue] = [
            "method": .string(method), "path": .string(path), "query": .string(query), "status": .number(Double(status)),
            "kind": .string(kind.rawValue), "time": .string(SimTime.format(time)), "duration_ms": .number(Double(durationMs)),
        ]
        if let fault { o["fault"] = .string(fault.rawValue) }
        return .object(o)
    }
}

/// Counters, the request log (last 1000), faults, latency and the rate limiter: everything `/_sim/` controls.
struct SimControl: Sendable {
    static let logCapacity = 1000

    var counters = SimCounters()
    var log: [SimRequestLogEntry] = []
    var faults = FaultState()
    var latency: SimLatency
    var limiter: RateLimiter

    init(configuration: SimConfiguration) {
        latency = SimLatency(fixedMs: configuration.latencyMs)
        limiter = RateLimiter(perSecond: configuration.rateLimitPerSecond, penalty: .seconds(configuration.rateLimitPenaltySeconds))
    }

    mutating func record(_ entry: SimRequestLogEntry, rateLimited: Bool) {
        counters.total += 1
        counters.byKind[entry.kind, default: 0] += 1
        if entry.status != 0 { counters.byStatus[entry.status, default: 0] += 1 }
        if rateLimited { counters.rateLimited += 1 }
        if entry.fault != nil { counters.faultsInjected += 1 }
        log.append(entry)
        if log.count > Self.logCapacity { log.removeFirst(log.count - Self.logCapacity) }
    }
}

extension SimRequestLogEntry {
    /// The most of `times` that fall within any one second (what Airtable's limit counts).
    public static func mostInAnySecond(_ times: [Date]) -> Int {
        let times = times.sorted()
        var most = 0
        var start = 0
        for end in times.indices {
            while times[end].timeIntervalSince(times[start]) >= 1 { start += 1 }
            most = max(most, end - start + 1)
        }
        return most
    }
}
