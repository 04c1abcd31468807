import Foundation
import Synchronization
import Provisioning
import Testing
@testable import ProvisioningPostgres
import ProvisioningTestKit

@Suite("Lookups by email share queries")
struct EmailLookupBatcherTests {
    @Test("300 concurrent lookups of known and unknown emails: each gets its own answer, from far fewer queries")
    func concurrentLookups() async throws {
        let store = try await TestDatabase.makeStore(poolSize: 10)
        for index in 0..<50 {
            _ = try await store.upsert(SourceRecord(source: "airtable", recordID: "recKnown\(index)", values: ["email": "known\(index)@example.com"], modifiedAt: Date()))
        }
        let before = store.emailLookups.queriesSent
        let answers = try await withThrowingTaskGroup(of: (String, String?).self) { group in
            for index in 0..<300 {
                let email = index.isMultiple(of: 2) ? "known\(index % 50)@example.com" : "unknown\(index)@example.com"
                group.addTask { (email, try await store.user(canonicalEmail: email)?.emailCanonical) }
            }
            return try await group.reduce(into: [(String, String?)]()) { $0.append($1) }
        }
        #expect(answers.count == 300)
        for (email, found) in answers { #expect(found == (email.hasPrefix("known") ? email : nil), "\(email)") }
        let sent = store.emailLookups.queriesSent - before
        #expect(sent >= 1 && sent < 300, "\(sent) queries")
    }

    @Test("a failed query fails every lookup it carried, and the next lookup is sent anew")
    func failure() async throws {
        struct Down: Error {}
        let failing = Failing()
        let batcher = EmailLookupBatcher(maxRunning: 1) { _ in
            if failing.next() { throw Down() }
            return []
        }
        await #expect(throws: Down.self) { try await batcher.user(canonicalEmail: "a@example.com") }
        #expect(try await batcher.user(canonicalEmail: "a@example.com") == nil)
        #expect(batcher.queriesSent == 2)
    }

    /// True on the first call only.
    final class Failing: Sendable {
        private let calls = Mutex(0)
        func next() -> Bool { calls.withLock { $0 += 1; return $0 == 1 } }
    }
}
