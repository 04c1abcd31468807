import Foundation
import PostgresNIO
import Provisioning
import ProvisioningPostgres
import ProvisioningTestKit
import Testing

@Suite("Inbound user webhook: the Postgres ledger with an unreachable store")
struct WebhookLedgerTests {
    @Test("apply and prune answer StoreError.unavailable at the store's deadline instead of hanging")
    func unreachable() async throws {
        let configuration = try PostgresProviderFactory.configuration(url: "postgres://postgres@127.0.0.1:1/nowhere", poolSize: 1)
        let client = PostgresClient(configuration: configuration, backgroundLogger: TestDatabase.logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        let store = PostgresIdentityStore(
            client: client, precedence: .init(), softDelete: .init(), attributes: Attribute.core, logger: TestDatabase.logger,
            deadlineSeconds: 0.5)
        let ledger = PostgresWebhookLedger(store: store)
        let started = ContinuousClock.now
        await #expect(throws: StoreError.self) {
            try await ledger.apply(WebhookDelivery(eventID: "evt", bodySHA256: "aa"), effect: .delete(source: "airtable", recordID: "recX"))
        }
        await #expect(throws: StoreError.self) { try await ledger.prune(receivedBefore: Date()) }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
