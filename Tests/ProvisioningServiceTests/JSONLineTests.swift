import Foundation
import Logging
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
