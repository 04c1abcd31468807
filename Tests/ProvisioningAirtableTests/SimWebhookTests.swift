import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import Testing

@testable import AirtableSim

/// A notification URL: records each ping's body and MAC header; answers `status`.
final class PingReceiver: Sendable {
    let pings = Mutex<[(body: String, mac: String)]>([])
    let status = Mutex(HTTPResponse.Status.noContent)
    let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)

    func run(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/notify") { [self] request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 16)
            pings.withLock { $0.append((String(buffer: buffer), request.headers[HTTPField.Name("X-Airtable-Content-MAC")!] ?? "")) }
            arrived.yield()
            return Response(status: status.withLock { $0 })
        }
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { listening.yield($0.localAddress?.port ?? 0) })
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        try await body("http://127.0.0.1:\(port)/notify")
    }

    var count: Int { pings.withLock { $0.count } }
}

@Suite("airtable-sim: native webhooks (create, list, payloads, pings)")
struct SimWebhookTests {
    static func spec(table: String, fields: [String]) -> SimValue {
        ["options": ["filters": ["dataTypes": ["tableData"], "recordChangeScope": .string(table)],
                     "includes": ["includeCellValuesInFieldIds": .array(fields.map(SimValue.string)), "includePreviousCellValues": true]]]
    }

    /// The Users table's id and its field ids by name.
    static func schema(_ h: SimHarness) async throws -> (table: String, fields: [String: String]) {
        let tables = try await h.get("/v0/meta/bases/\(SimHarness.base)/tables").json?["tables"]?.arrayValue ?? []
        let users = try #require(tables.first { $0["name"]?.stringValue == "Users" })
        var fields: [String: String] = [:]
        for field in users["fields"]?.arrayValue ?? [] { fields[field["name"]?.stringValue ?? ""] = field["id"]?.stringValue }
        return (users["id"]?.stringValue ?? "", fields)
    }

    @Test("creates, changes and deletes become payloads by field id (current, previous, unchanged, destroyedRecordIds), read by cursor")
    func payloads() async throws {
        let bases = [SimHarness.base: [SimTableSpec(name: "Users", fields: ["Email", "Name", "Role"]), SimTableSpec(name: "Other")]]
        try await SimHarness.with(bases: bases) { (h: SimHarness) async throws in
            let (table, fields) = try await Self.schema(h)
            let email = try #require(fields["Email"]), name = try #require(fields["Name"])
            let created = try await h.request(.POST, "/v0/bases/\(SimHarness.base)/webhooks", json: [
                "notificationUrl": .null, "specification": Self.spec(table: table, fields: [email]),
            ])
            #expect(created.status == 200)
            let id = try #require(created.json?["id"]?.stringValue)
            #expect(SimIDs.isValid(id, prefix: "ach"))
            #expect(Data(base64Encoded: created.json?["macSecretBase64"]?.stringValue ?? "")?.count == 32)
            // One API create, one control update, one API delete, and a change in another table (not watched).
            let record = try await h.request(.POST, h.tablePath(), json: ["fields": ["Email": "ada@example.com", "Name": "Ada"]])
            let recordID = record.json?.idString ?? ""
            #expect(h.sim.update(base: SimHarness.base, table: "Users", id: recordID, fields: ["Name": "Ada L."]))
            h.sim.insert(base: SimHarness.base, table: "Other", fields: ["X": "y"])
            #expect(try await h.request(.DELETE, "\(h.tablePath())/\(recordID)").status == 200)

            let first = try await h.get("/v0/bases/\(SimHarness.base)/webhooks/\(id)/payloads?cursor=1&limit=2")
            let page = first.json?["payloads"]?.arrayValue ?? []
            #expect(page.count == 2)
            #expect(first.json?["cursor"]?.intValue == 3)
            #expect(first.json?["mightHaveMore"]?.boolValue == true)
            let create = try #require(page.first?["changedTablesById"]?[table]?["createdRecordsById"]?[recordID])
            #expect(create["cellValuesByFieldId"]?[email]?.stringValue == "ada@example.com")
            let change = try #require(page.last?["changedTablesById"]?[table]?["changedRecordsById"]?[recordID])
            #expect(change["current"]?["cellValuesByFieldId"]?[name]?.stringValue == "Ada L.")
            #expect(change["previous"]?["cellValuesByFieldId"]?[name]?.stringValue == "Ada")
            #expect(change["current"]?["cellValuesByFieldId"]?[email] == nil)
            #expect(change["unchanged"]?["cellValuesByFieldId"]?[email]?.stringValue == "ada@example.com")
            #expect((page.last?["baseTransactionNumber"]?.intValue ?? 0) > (page.first?["baseTransactionNumber"]?.intValue ?? 0))
            let rest = try await h.get("/v0/bases/\(SimHarness.base)/webhooks/\(id)/payloads?cursor=3")
            #expect(rest.json?["payloads"]?.arrayValue?.count == 1)
            #expect(rest.json?["payloads"]?.arrayValue?.first?["changedTablesById"]?[table]?["destroyedRecordIds"] == [.string(recordID)])
            #expect(rest.json?["mightHaveMore"]?.boolValue == false)
            #expect(rest.json?["cursor"]?.intValue == 4)
            // A cursor past the end stays where it is.
            let beyond = try await h.get("/v0/bases/\(SimHarness.base)/webhooks/\(id)/payloads?cursor=9")
            #expect(beyond.json?["payloads"]?.arrayValue?.isEmpty == true && beyond.json?["cursor"]?.intValue == 9)
            // Listed with its cursor; limit over 50 is refused.
            let listed = try await h.get("/v0/bases/\(SimHarness.base)/webhooks").json?["webhooks"]?.arrayValue ?? []
            #expect(listed.count == 1 && listed.first?["cursorForNextPayload"]?.intValue == 4 && listed.first?["isHookEnabled"]?.boolValue == true)
            #expect(try await h.get("/v0/bases/\(SimHarness.base)/webhooks/\(id)/payloads?limit=51").status == 422)
        }
    }

    @Test("a burst of changes sends one ping with a correct MAC; a failed ping is retried and reported")
    func pings() async throws {
        try await SimHarness.with { (h: SimHarness) async throws in
            let receiver = PingReceiver()
            try await receiver.run { url in
                let (table, _) = try await Self.schema(h)
                let created = try await h.request(.POST, "/v0/bases/\(SimHarness.base)/webhooks", json: [
                    "notificationUrl": .string(url), "specification": Self.spec(table: table, fields: []),
                ])
                let id = try #require(created.json?["id"]?.stringValue)
                let secret = try #require(Data(base64Encoded: created.json?["macSecretBase64"]?.stringValue ?? ""))
                // Five changes at once: one ping.
                _ = h.insertUsers(5)
                var arrivals = receiver.arrivals.makeAsyncIterator()
                await arrivals.next()
                let (body, mac) = try #require(receiver.pings.withLock { $0.first })
                let expected = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: secret))
                #expect(mac == "hmac-sha256=" + expected.map { String(format: "%02x", $0) }.joined())
                let ping = try #require(SimJSON.parse(Data(body.utf8)))
                #expect(ping["webhook"]?["id"]?.stringValue == id && ping["base"]?["id"]?.stringValue == SimHarness.base)
                #expect(ping["timestamp"]?.stringValue != nil)
                let payloads = try await h.get("/v0/bases/\(SimHarness.base)/webhooks/\(id)/payloads")
                #expect(payloads.json?["payloads"]?.arrayValue?.count == 5)
                // Five separate changes, one ping (two if a 50 ms tick fell inside the burst).
                #expect(receiver.count <= 2)
                // The receiver fails: the ping is retried, and the failure is listed.
                receiver.status.withLock { $0 = .internalServerError }
                _ = h.insertUsers(1)
                await arrivals.next()
                await arrivals.next()
                let listed = try await h.get("/v0/bases/\(SimHarness.base)/webhooks").json?["webhooks"]?.arrayValue?.first
                let result = listed?["lastNotificationResult"]
                #expect(result?["success"]?.boolValue == false)
                #expect((result?["retryNumber"]?.intValue ?? 0) >= 0 && result?["willBeRetried"]?.boolValue == true)
                #expect(receiver.count >= 3)
            }
        }
    }

    @Test("refresh extends the expiration; an expired webhook is gone; a disabled one records nothing; at most 10 per base")
    func lifecycle() async throws {
        try await SimHarness.with { (h: SimHarness) async throws in
            let (table, _) = try await Self.schema(h)
            let path = "/v0/bases/\(SimHarness.base)/webhooks"
            let first = try #require(try await h.request(.POST, path, json: ["specification": Self.spec(table: table, fields: [])]).json?["id"]?.stringValue)
            #expect(h.sim.controlWebhook(id: first, advanceSeconds: 3 * 24 * 3600) != nil)
            let refreshed = try await h.request(.POST, "\(path)/\(first)/refresh")
            let expiration = try #require(refreshed.json?["expirationTime"]?.stringValue)
            #expect(expiration > SimTime.format(Date().addingTimeInterval(9 * 24 * 3600)))
            // Disabled: changes make no payload.
            _ = h.sim.controlWebhook(id: first, enabled: false)
            _ = h.insertUsers(1)
            #expect(try await h.get("\(path)/\(first)/payloads").json?["payloads"]?.arrayValue?.isEmpty == true)
            #expect(try await h.get(path).json?["webhooks"]?.arrayValue?.first?["isHookEnabled"]?.boolValue == false)
            // Expired: gone.
            _ = h.sim.controlWebhook(id: first, expire: true)
            #expect(try await h.get("\(path)/\(first)/payloads").status == 404)
            #expect(try await h.get(path).json?["webhooks"]?.arrayValue?.isEmpty == true)
            for _ in 0..<10 { #expect(try await h.request(.POST, path, json: ["specification": Self.spec(table: table, fields: [])]).status == 200) }
            #expect(try await h.request(.POST, path, json: ["specification": Self.spec(table: table, fields: [])]).status == 422)
            // A scope that is no table of the base is refused; delete works.
            #expect(try await h.request(.POST, path, json: ["specification": Self.spec(table: "tblNoSuchTable0001", fields: [])]).status == 422)
            let some = try #require(try await h.get(path).json?["webhooks"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await h.request(.DELETE, "\(path)/\(some)").status == 200)
            #expect(try await h.get(path).json?["webhooks"]?.arrayValue?.count == 9)
        }
    }
}
