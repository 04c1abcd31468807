import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing

@testable import AirtableSim

/// A simulator started in-process for one test, and raw HTTP against it.
struct SimHarness {
    static let token = "pat-sim-test-token"
    static let base = SimConfiguration.defaultBase

    let running: AirtableSimulator.Running
    var sim: AirtableSimulator { running.sim }
    var url: String { running.baseURL }

    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let text: String
        var json: SimValue? { SimJSON.parse(Data(text.utf8)) }
        var records: [SimValue] { json?["records"]?.arrayValue ?? [] }
        var errorType: String? { json?["error"]?["type"]?.stringValue }
    }

    /// Starts a simulator (rate limit off unless asked), runs `body`, stops it.
    static func with<T>(
        rateLimit: Int = 0,
        bases: [String: [SimTableSpec]]? = nil,
        _ body: (SimHarness) async throws -> T
    ) async throws -> T {
        var configuration = SimConfiguration(token: token, rateLimitPerSecond: rateLimit)
        if let bases { configuration.bases = bases }
        let running = try await AirtableSimulator.start(configuration: configuration)
        let harness = SimHarness(running: running)
        do {
            let result = try await body(harness)
            await running.stop()
            return result
        } catch {
            await running.stop()
            throw error
        }
    }

    /// `/v0/{base}/{table}` with the table name percent-encoded.
    func tablePath(_ table: String = "Users", base: String = SimHarness.base) -> String {
        "/v0/\(base)/\(table.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? table)"
    }

    func request(
        _ method: HTTPMethod, _ path: String, json: SimValue? = nil, rawBody: String? = nil,
        token: String? = SimHarness.token, timeout: TimeAmount = .seconds(10)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body = rawBody ?? json.map(SimJSON.serialize) {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: buffer))
    }

    func get(_ path: String, token: String? = SimHarness.token) async throws -> Reply {
        try await request(.GET, path, token: token)
    }

    /// Percent-encodes a query value (RFC 3986 unreserved characters only, so `+`, `&`, `=` are safe).
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? value
    }

    /// Lists with `filterByFormula` and returns the matching records.
    func filter(_ formula: String, table: String = "Users") async throws -> Reply {
        try await get("\(tablePath(table))?filterByFormula=\(Self.encode(formula))")
    }

    func insertUsers(_ count: Int) -> [String] {
        (0..<count).map { i in
            sim.insert(base: Self.base, table: "Users", fields: ["Email": .string("user\(i)@example.com"), "N": .number(Double(i))])
        }
    }
}

extension SimValue {
    var fieldsObject: [String: SimValue] { self["fields"]?.objectValue ?? [:] }
    var idString: String { self["id"]?.stringValue ?? "" }
}
