import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// Thrown after the `reset` fault has closed the connection: nothing more can be sent.
struct SimConnectionReset: Error {}

extension AirtableSimulator {
    static let maximumBodyBytes = 2 * 1024 * 1024

    /// `/v0/...`: latency, then an injected fault if one is due, then auth, the per-base rate limit and the route.
    func respondAPI(to request: Request, channel: any Channel) async throws -> Response {
        let started = ContinuousClock.now
        let route = SimRoute(method: request.method, rawPath: request.uri.path)
        let (fault, delayMs) = control.withLock { ($0.faults.next(), $0.latency.sample()) }
        var entry = SimRequestLogEntry(method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                                       status: 0, kind: route.kind, time: Date(), durationMs: 0, fault: fault?.mode)
        let finish = { (status: Int, rateLimited: Bool) in
            entry.status = status
            entry.durationMs = Int((ContinuousClock.now - started) / .milliseconds(1))
            let done = entry
            self.control.withLock { $0.record(done, rateLimited: rateLimited) }
        }

        if delayMs > 0 { try await Task.sleep(for: .milliseconds(delayMs)) }

        if let fault {
            switch fault.mode {
            case .status500:
                finish(500, false)
                return Self.json(SimAPIError(500, "SERVER_ERROR", "Try again. If the problem persists, contact support."))
            case .status503:
                finish(503, false)
                return Self.json(SimAPIError(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Please retry shortly."))
            case .status429:
                finish(429, false)
                return Self.json(SimAPIError.rateLimited)
            case .malformedJSON:
                finish(200, false)
                return Self.raw(200, "{\"records\":[{\"id\":\"rec")
            case .reset:
                finish(0, false)
                await Self.resetConnection(channel)
                throw SimConnectionReset()
            case .hang:
                finish(0, false)
                // Graceful shutdown (SIGTERM) ends the wait instead of waiting for it.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(min(max(0, fault.hangMs), SimLatency.maximumMs))) }
                try Task.checkCancellation()
                return Self.json(SimAPIError(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Please retry shortly."))
            }
        }

        guard Self.isAuthorized(request, token: configuration.token) else {
            finish(401, false)
            return Self.json(.authenticationRequired)
        }
        if let base = route.base {
            let allowed = control.withLock { $0.limiter.allow(key: base, now: .now) }
            guard allowed else {
                finish(429, true)
                return Self.json(.rateLimited)
            }
        }
        do {
            let body = try await handle(route, request: request)
            finish(200, false)
            return Self.json(200, body)
        } catch {
            finish(error.status, false)
            return Self.json(error)
        }
    }

    private func handle(_ route: SimRoute, request: Request) async throws(SimAPIError) -> SimValue {
        let query = try SimQuery.parse(request.uri.query)
        let now = SimTime.now()
        let ttl = configuration.iteratorTTL
        switch route {
        case .notFound:
            throw SimAPIError.routeNotFound
        case .schema(let base):
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in try d.schema(base: base) }
        case .webhookCreate(let base):
            let body = try await Self.body(of: request)
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in try d.createWebhook(base: base, body: body, now: now) }
        case .webhookList(let base):
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in try d.listWebhooks(base: base, now: now) }
        case .webhookDelete(let base, let id):
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in try d.deleteWebhook(base: base, id: id, now: now) }
        case .webhookRefresh(let base, let id):
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in try d.refreshWebhook(base: base, id: id, now: now) }
        case .webhookPayloads(let base, let id):
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in
                try d.webhookPayloads(base: base, id: id, query: query, now: now)
            }
        case .list(let base, let table):
            let params = try SimListParams(query: query)
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in
                try d.list(base: base, table: table, params: params, now: .now, iteratorTTL: ttl)
            }
        case .listByBody(let base, let table):
            let params = try SimListParams(body: try await Self.body(of: request, emptyAllowed: true))
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in
                try d.list(base: base, table: table, params: params, now: .now, iteratorTTL: ttl)
            }
        case .get(let base, let table, let id):
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in try d.getRecord(base: base, table: table, id: id) }
        case .create(let base, let table):
            let body = try await Self.body(of: request)
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in
                try d.createRecords(base: base, table: table, body: body, now: now)
            }
        case .updateMany(let base, let table, let replace):
            let body = try await Self.body(of: request)
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in
                try d.updateRecords(base: base, table: table, body: body, replace: replace, now: now)
            }
        case .updateOne(let base, let table, let id, let replace):
            let body = try await Self.body(of: request)
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in
                try d.updateRecord(base: base, table: table, id: id, body: body, replace: replace, now: now)
            }
        case .deleteOne(let base, let table, let id):
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in
                try d.deleteRecords(base: base, table: table, ids: [id], single: true)
            }
        case .deleteMany(let base, let table):
            var ids: [String] = []
            for (key, value) in query {
                guard key == "records[]" || key == "records" || (key.hasPrefix("records[") && key.hasSuffix("]")) else {
                    throw SimAPIError.invalidRequest("unknown parameter \(key)")
                }
                ids.append(value)
            }
            return try data.withLock { (d: inout SimData) throws(SimAPIError) in
                try d.deleteRecords(base: base, table: table, ids: ids, single: false)
            }
        }
    }

    // MARK: helpers

    static func isAuthorized(_ request: Request, token: String) -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        let prefix = "Bearer "
        guard header.count > prefix.count, header.lowercased().hasPrefix("bearer ") else { return false }
        let presented = header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        // Constant-time comparison, for good manners.
        let a = Array(presented.utf8), b = Array(token.utf8)
        var diff = a.count ^ b.count
        for i in 0..<min(a.count, b.count) { diff |= Int(a[i] ^ b[i]) }
        return diff == 0 && !token.isEmpty
    }

    /// The request body as JSON; 400 `INVALID_REQUEST_BODY` when it is not JSON, 413 when it is too large.
    static func body(of request: Request, emptyAllowed: Bool = false) async throws(SimAPIError) -> SimValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBodyBytes)
        } catch {
            throw SimAPIError(413, "REQUEST_TOO_LARGE", "Request body is too large")
        }
        if buffer.readableBytes == 0, emptyAllowed { return [:] }
        guard let value = SimJSON.parse(Data(buffer.readableBytesView)) else {
            throw SimAPIError(400, "INVALID_REQUEST_BODY", "Could not parse request body")
        }
        return value
    }

    static func json(_ error: SimAPIError) -> Response { json(error.status, error.body) }

    static func json(_ status: Int, _ body: SimValue) -> Response {
        raw(status, SimJSON.serialize(body))
    }

    static func raw(_ status: Int, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                         body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Closes the connection with SO_LINGER 0 so the client sees a TCP reset instead of a clean close.
    static func resetConnection(_ channel: any Channel) async {
        if let provider = channel as? any SocketOptionProvider {
            try? await provider.setSoLinger(NIOLinger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
    }
}
