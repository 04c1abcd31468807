/// A failure the simulator injects into API (`/v0/`) requests.
public enum SimFaultMode: String, Sendable, CaseIterable, Codable {
    /// `500 {"error": {"type": "SERVER_ERROR", ...}}`
    case status500
    /// `503 {"error": {"type": "SERVICE_UNAVAILABLE", ...}}`
    case status503
    /// `429` with Airtable's rate-limit body (no `Retry-After`).
    case status429
    /// No answer until the client gives up (closes the connection) or `hangMs` passes; then `503`.
    case hang
    /// The connection is reset: SO_LINGER 0 then close, so the peer sees a TCP RST and no response.
    case reset
    /// `200` with a truncated JSON body.
    case malformedJSON = "malformed_json"
}

/// Which requests get a fault: the next `count` requests, or each request with probability `fraction`
/// (both: random requests until `count` have been hit; neither: every request until cleared).
public struct SimFault: Sendable, Equatable {
    public var mode: SimFaultMode
    public var count: Int?
    public var fraction: Double?
    /// How long `hang` waits at most.
    public var hangMs: Int

    public init(mode: SimFaultMode, count: Int? = nil, fraction: Double? = nil, hangMs: Int = 60_000) {
        self.mode = mode
        self.count = count
        self.fraction = fraction
        self.hangMs = hangMs
    }
}

/// Added latency: `fixedMs` plus a uniformly random `0...jitterMs`.
public struct SimLatency: Sendable, Equatable {
    public var fixedMs: Int
    public var jitterMs: Int

    /// Values are clamped to 0...600000 (ten minutes).
    public init(fixedMs: Int = 0, jitterMs: Int = 0) {
        self.fixedMs = min(max(0, fixedMs), SimLatency.maximumMs)
        self.jitterMs = min(max(0, jitterMs), SimLatency.maximumMs)
    }

    static let maximumMs = 600_000

    func sample() -> Int {
        let fixed = min(max(0, fixedMs), Self.maximumMs)
        let jitter = min(max(0, jitterMs), Self.maximumMs)
        return fixed + (jitter > 0 ? Int.random(in: 0...jitter) : 0)
    }
}

struct FaultState: Sendable {
    var fault: SimFault?

    /// Decides whether this request gets the fault, and uses up one of `count`.
    mutating func next() -> SimFault? {
        guard let current = fault else { return nil }
        if let fraction = current.fraction, Double.random(in: 0..<1) >= fraction { return nil }
        if let count = current.count {
            if count <= 1 { fault = nil } else { fault?.count = count - 1 }
            if count <= 0 { return nil }
        }
        return current
    }
}
