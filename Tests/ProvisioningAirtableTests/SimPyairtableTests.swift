import Foundation
import Testing

@testable import AirtableSim

/// pyairtable's own webhook API, unchanged, against the simulator
/// (`scripts/lib/pyairtable_webhooks.py`; scripts/test.sh installs pyairtable
/// 3.5.1 and sets PYAIRTABLE_PYTHON and PYAIRTABLE_SCRIPT).
@Suite("airtable-sim driven by pyairtable's webhook API")
struct SimPyairtableTests {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "PYAIRTABLE_PYTHON is not set: run the tests through scripts/test.sh, which installs pyairtable" }
    }

    @Test("add_webhook, a ping checked by WebhookNotification.from_request, webhooks(), payloads() and extend_expiration() all work")
    func pyairtableDrivesTheSimulator() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["PYAIRTABLE_PYTHON"], let script = environment["PYAIRTABLE_SCRIPT"] else { throw NotConfigured() }
        try await SimHarness.with { (h: SimHarness) async throws in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script, h.url, SimHarness.token, SimHarness.base, "Users"]
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            // Read while it runs (a full pipe would block it), then wait for it off the cooperative pool.
            let (out, err) = await Task.detached {
                (output.fileHandleForReading.readDataToEndOfFile(), errors.fileHandleForReading.readDataToEndOfFile())
            }.value
            await Task.detached { process.waitUntilExit() }.value
            #expect(process.terminationStatus == 0, "\(String(decoding: err, as: UTF8.self))")
            let seen = try #require(SimJSON.parse(out), "\(String(decoding: out, as: UTF8.self))")
            let webhookID = try #require(seen["webhook_id"]?.stringValue)
            let recordID = try #require(seen["record_id"]?.stringValue)
            #expect(seen["notified_webhook_id"]?.stringValue == webhookID)
            #expect(seen["notified_base_id"]?.stringValue == SimHarness.base)
            #expect(seen["created_record_ids"] == [.string(recordID)])
            #expect(seen["emails"] == ["pyairtable@example.com"])
            #expect(seen["expiration_extended"]?.boolValue == true)
            // The simulator agrees: one webhook, one payload so far.
            let listed = try await h.get("/v0/bases/\(SimHarness.base)/webhooks").json?["webhooks"]?.arrayValue ?? []
            #expect(listed.map { $0["id"]?.stringValue } == [webhookID])
            #expect(listed.first?["cursorForNextPayload"]?.intValue == 2)
            #expect(listed.first?["lastNotificationResult"]?["success"]?.boolValue == true)
        }
    }
}
