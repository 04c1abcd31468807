import Foundation
import ProvisioningService
import Testing

@Suite("upsert.conflict log level")
struct UpsertConflictLogTests {
    @Test("a conflict arm that changed nothing logs at debug; one that changed the row or was stale-checked logs as the README says")
    func levels() async throws {
        let capture = LogCapture()
        var options = ServiceHarness.Options()
        options.logHandler = { label in
            var handler = JSONLogHandler(label: label, write: { capture.append($0) })
            handler.logLevel = .debug
            return handler
        }
        try await ServiceHarness.run(options) { _, client in
            let fields = Webhook.fields(email: "idle@example.com", name: "Idle")
            #expect(try await Webhook.event(client, id: "evt_1", recordID: "recIdle0000000001", fields: fields).outcome == "inserted")
            #expect(capture.events("upsert.conflict").isEmpty)

            // The same record again (what an idle sync does every cycle): unchanged, debug only.
            let again = try await Webhook.event(client, id: "evt_2", recordID: "recIdle0000000001", fields: fields)
            #expect(again.outcome == "unchanged")
            let unchanged = capture.events("upsert.conflict")
            #expect(unchanged.count == 1)
            #expect(unchanged.allSatisfy { $0["level"] as? String == "debug" })

            let changed = try await Webhook.event(
                client, id: "evt_3", type: "user.updated", recordID: "recIdle0000000001",
                fields: Webhook.fields(email: "idle@example.com", name: "Busy"), occurredAt: FixtureTime.iso("11:00"))
            #expect(changed.outcome == "updated")
            let info = capture.events("upsert.conflict").filter { $0["level"] as? String == "info" }
            #expect(info.count == 1)
            #expect(info.first?["path"] as? String == "record_id_conflict_update")
        }
    }
}
