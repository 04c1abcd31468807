import Foundation
import Provisioning
import Testing

@Suite("Resolution pipeline under concurrency")
struct ResolutionPipelineConcurrencyTests {
    static let callers = 50

    @Test("concurrent first logins of one email make one lookup and one row", .timeLimit(.minutes(1)))
    func singleflight() async throws {
        let store = MemoryStore()
        let source = MemorySource(records: [Records.user("ada")])
        let gate = Gate()
        // The source answers only once every caller has missed the store and
        // is on its way into the shared flight.
        let (logger, events) = EventLog.logger { event, seen in
            if event == "readthrough.miss" && seen == Self.callers { gate.open() }
        }
        let pipeline = ResolutionPipeline(store: store, [("directory", GatedSource(inner: source, gate: gate))], logger: logger)
        let resolutions = try await withThrowingTaskGroup(of: Resolution.self) { group in
            for _ in 0..<Self.callers {
                group.addTask { try await pipeline.resolve(email: "Ada@Example.com") }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(events.count("readthrough.miss") == Self.callers)
        #expect(source.lookupCount == 1)
        #expect(await store.allUsers().count == 1)
        #expect(resolutions.count == Self.callers)
        let ids = Set(resolutions.compactMap(\.user?.id))
        #expect(ids.count == 1)
        #expect(resolutions.allSatisfy { $0.provisioned == true })
    }

    @Test("concurrent resolves by record id share one lookup", .timeLimit(.minutes(1)))
    func singleflightByRecord() async throws {
        let store = MemoryStore()
        let source = MemorySource(records: [Records.user("ada")])
        let gate = Gate()
        let (logger, _) = EventLog.logger { event, seen in
            if event == "readthrough.miss" && seen == Self.callers { gate.open() }
        }
        let pipeline = ResolutionPipeline(store: store, [("directory", GatedSource(inner: source, gate: gate))], logger: logger)
        let found = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<Self.callers {
                group.addTask { try await pipeline.resolve(userID: UUID(), links: ["directory": "recAda"]).user != nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(found == Self.callers)
        #expect(source.lookupCount == 1)
        #expect(await store.allUsers().count == 1)
    }
}
