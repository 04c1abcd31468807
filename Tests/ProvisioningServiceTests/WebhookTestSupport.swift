import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import ProvisioningPostgres
import ProvisioningService
import ProvisioningTestKit
import Synchronization

/// Bodies, deliveries and database checks for the webhook tests.
enum Webhook {
    static let path = "/api/sync/users/inbound"

    /// A contract-shaped event body; keys sorted, so the same arguments give
    /// the same bytes (a replay).
    static func body(
        id: String, type: String = "user.created", recordID: String?, fields: [String: Any]? = nil,
        occurredAt: String? = FixtureTime.iso("10:15"), modifiedAt: String? = nil
    ) -> [UInt8] {
        var record: [String: Any] = [:]
        if let recordID { record["id"] = recordID }
        if let fields { record["fields"] = fields }
        if let modifiedAt { record["modified_at"] = modifiedAt }
        var event: [String: Any] = ["id": id, "type": type, "record": record]
        if let occurredAt { event["occurred_at"] = occurredAt }
        return Array(try! JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
    }

    /// Fields as the airtable mapping of the harness names them.
    static func fields(email: String?, name: String? = nil, role: String? = nil) -> [String: Any] {
        var fields: [String: Any] = [:]
        if let email { fields["Email"] = email }
        if let name { fields["Name"] = name }
        if let role { fields["Role"] = role }
        return fields
    }

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var data: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: data, as: UTF8.self) }
        var outcome: String? { json["outcome"] as? String }
        var userID: UUID? { (json["user_id"] as? String).flatMap(UUID.init(uuidString:)) }
    }

    /// POST `body` with `headers`.
    static func send(_ client: HarnessClient, body: [UInt8], headers: HTTPFields) async throws -> Reply {
        let response = try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body))
        return Reply(status: response.status, headers: response.headers, data: Data(buffer: response.body))
    }

    /// POST `body` signed (hmac-sha256) with `webhook-id` = `id`.
    static func sendSigned(
        _ client: HarnessClient, id: String, body: [UInt8], secret: String = ServiceHarness.webhookSecret,
        timestamp: Int = WebhookSigning.now
    ) async throws -> Reply {
        try await send(client, body: body, headers: WebhookSigning.headers(id: id, body: body, secret: secret, timestamp: timestamp))
    }

    /// Build, sign and send one event whose `webhook-id` is its body id.
    static func event(
        _ client: HarnessClient, id: String, type: String = "user.created", recordID: String,
        fields: [String: Any]? = nil, occurredAt: String? = FixtureTime.iso("10:15"), modifiedAt: String? = nil
    ) async throws -> Reply {
        let body = body(id: id, type: type, recordID: recordID, fields: fields, occurredAt: occurredAt, modifiedAt: modifiedAt)
        return try await sendSigned(client, id: id, body: body)
    }

    /// Run `body` with a client on the harness's database.
    static func withDatabase<T: Sendable>(_ url: String, _ body: (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(
            configuration: try PostgresProviderFactory.configuration(url: url, poolSize: 2), backgroundLogger: TestDatabase.logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    static func count(_ url: String, _ query: PostgresQuery) async throws -> Int {
        try await withDatabase(url) { client in try await TestDatabase.count(client, query) }
    }

    static func execute(_ url: String, _ query: PostgresQuery) async throws {
        try await withDatabase(url) { client in _ = try await client.query(query, logger: TestDatabase.logger) }
    }
}

/// Log lines written through `JSONLogHandler`, kept for inspection.
final class LogCapture: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { storage.withLock { $0 } }

    func append(_ line: String) { storage.withLock { $0.append(line) } }

    /// The parsed lines whose `event` is `event`.
    func events(_ event: String) -> [[String: Any]] {
        lines.compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  object["event"] as? String == event else { return nil }
            return object
        }
    }

    var handler: @Sendable (String) -> LogHandler {
        { label in
            JSONLogHandler(label: label, write: { line in self.append(line) })
        }
    }
}
