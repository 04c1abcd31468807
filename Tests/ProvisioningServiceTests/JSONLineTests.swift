import Foundation
import Logging
import Provisioning
import Testing
@testable import ProvisioningService

@Suite("JSON log line encoding")
struct JSONLineTests {
    @Test("strings with quotes, backslashes, control characters and non-ASCII parse back unchanged")
    func escaping() throws {
        let tricky = "a\"b\\c/d\ne\rf\tg\u{0}h\u{1f}i é 日本 🙂 \u{7f}"
        let line = JSONLine.encode([
            "text": .string(tricky), "list": .array([.string("x"), .stringConvertible(42)]),
            "nested": .dictionary(["b": "2", "a": "1"]),
        ])
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["text"] as? String == tricky)
        #expect(object["list"] as? [String] == ["x", "42"])
        #expect(object["nested"] as? [String: String] == ["a": "1", "b": "2"])
        #expect(line.hasPrefix(#"{"list":"#) && line.contains(#"{"a":"1","b":"2"}"#))
    }

    @Test("the timestamp is RFC 3339 UTC with milliseconds, as ISO8601FormatStyle writes it")
    func timestamp() {
        for seconds in [0.0, 951_782_400.5, 1_795_000_000.999, 1_795_000_000.0011] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(JSONLine.timestamp(date) == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
    }

    @Test("the handler drops secret keys and keeps event, level, logger and ts")
    func handler() throws {
        let lines = LogCapture()
        var handler = JSONLogHandler(label: "unit", write: { lines.append($0) })
        handler.logLevel = .debug
        handler[metadataKey: "request"] = "r1"
        Logger(label: "unit", factory: { _ in handler }).info("webhook.accepted", metadata: [
            "event": "webhook.accepted", "password_hash": "$2b$secret", "Token": "t0k3n",
        ])
        let object = try #require(lines.events("webhook.accepted").first)
        #expect(object["level"] as? String == "info" && object["logger"] as? String == "unit" && object["request"] as? String == "r1")
        #expect(object["password_hash"] == nil && object["Token"] == nil && object["message"] == nil)
        #expect((object["ts"] as? String)?.hasSuffix("Z") == true)
    }
}

@Suite("user body written by hand")
struct UserBodyTests {
    static func user(name: String?, role: String?, recordID: String?, created: Double, updated: Double) -> StoredUser {
        var values = ["email": "Ada.Lovelace@Example.com"]
        values["display_name"] = name
        values["role"] = role
        return StoredUser(
            id: UUID(), values: values, emailCanonical: "ada.lovelace@example.com",
            links: recordID.map { ["airtable": SourceLink(recordID: $0, snapshot: [:], modifiedAt: nil), "directory": SourceLink(recordID: "u\"1", snapshot: [:], modifiedAt: nil)] } ?? [:],
            storeUpdatedAt: nil, createdAt: Date(timeIntervalSince1970: created),
            updatedAt: Date(timeIntervalSince1970: updated), deletedAt: nil)
    }

    @Test("GET me's body is byte for byte what JSONEncoder writes for the same user")
    func sameAsEncoder() async throws {
        let users = [
            Self.user(name: "Ada \"the\" Countess\\ é 🙂\n", role: "admin", recordID: "recAda00000000001", created: 1_795_000_000.999, updated: 1_795_000_123.4),
            Self.user(name: nil, role: nil, recordID: nil, created: 951_782_400, updated: 0.5),
        ]
        for user in users {
            let envelope = UserEnvelope(user: UserResponse(user: user, firstSource: "airtable"))
            #expect(envelope.json == String(decoding: try jsonBody(envelope), as: UTF8.self))
        }
    }
}
