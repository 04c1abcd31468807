import Foundation
import Provisioning
import Testing

@Suite("Resolution pipeline with several sources")
struct ResolutionPipelineSourcesTests {
    let store = MemoryStore()
    let first = MemorySource()
    let second = MemorySource(records: [Records.user("ada")])

    @Test("when the first source does not know the user the second is asked")
    func secondFound() async throws {
        let pipeline = ResolutionPipeline(store: store, [("first", first), ("second", second)])
        let resolution = try await pipeline.resolve(email: "ada@example.com")
        #expect(resolution.provisioned == true)
        #expect(resolution.user?.recordID(in: "second") == "recAda")
        #expect(first.lookupCount == 1)
        #expect(second.lookupCount == 1)
    }

    @Test("when the first source is unavailable the second one's answer counts")
    func firstUnavailable() async throws {
        first.setUnavailable(retryAfterSeconds: 5)
        let pipeline = ResolutionPipeline(store: store, [("first", first), ("second", second)])
        #expect(try await pipeline.resolve(email: "ada@example.com").provisioned == true)
    }

    @Test("not found in one source and unavailable in another is unavailable, with the longest retry")
    func unavailableBeatsNotFound() async throws {
        first.setUnavailable(retryAfterSeconds: 5)
        let pipeline = ResolutionPipeline(store: store, [("first", first), ("second", second)])
        #expect(try await pipeline.resolve(email: "nobody@example.com") == .unavailable(retryAfterSeconds: 5))
        second.setUnavailable(retryAfterSeconds: 9)
        #expect(try await pipeline.resolve(email: "nobody@example.com") == .unavailable(retryAfterSeconds: 9))
        first.setUnavailable(retryAfterSeconds: nil)
        second.setUnavailable(retryAfterSeconds: nil)
        #expect(try await pipeline.resolve(email: "nobody@example.com") == .notFound)
    }

    @Test("by links: one source down and another not knowing the record is unavailable, not not-found")
    func byLinksOutage() async throws {
        first.setUnavailable(retryAfterSeconds: 7)
        let pipeline = ResolutionPipeline(store: store, [("first", first), ("second", second)])
        let resolution = try await pipeline.resolve(userID: UUID(), links: ["first": "recX", "second": "recNobody"])
        #expect(resolution == .unavailable(retryAfterSeconds: 7))
    }

    @Test("a user missing from the store is resolved by its link, through that source only")
    func byLink() async throws {
        let pipeline = ResolutionPipeline(store: store, [("first", first), ("second", second)])
        let resolution = try await pipeline.resolve(userID: UUID(), links: ["second": "recAda"])
        #expect(resolution.provisioned == true)
        #expect(resolution.user?.emailCanonical == "ada@example.com")
        #expect(await store.user(source: "second", recordID: "recAda") != nil)
        #expect(await store.user(source: "first", recordID: "recAda") == nil)
        #expect(try await pipeline.resolve(userID: UUID(), links: [:]) == .notFound)
        #expect(try await pipeline.resolve(userID: UUID(), links: ["second": "recNobody"]) == .notFound)
        #expect(second.lookupCount == 2)
        #expect(first.lookupCount == 0)
    }

    @Test("a pipeline behaves by whichever providers it is built over")
    func swapProviders() async throws {
        let table = TableSource(records: ["bob@example.com": Records.user("bob")])
        let memoryPipeline = ResolutionPipeline(store: store, [("directory", second)])
        let otherStore = MemoryStore()
        let tablePipeline = ResolutionPipeline(store: otherStore, [("table", table)])
        #expect(try await memoryPipeline.resolve(email: "ada@example.com").provisioned == true)
        #expect(try await memoryPipeline.resolve(email: "bob@example.com") == .notFound)
        #expect(try await tablePipeline.resolve(email: "bob@example.com").provisioned == true)
        #expect(try await tablePipeline.resolve(email: "ada@example.com") == .notFound)
        #expect(await store.allUsers().map(\.emailCanonical) == ["ada@example.com"])
        #expect(await otherStore.allUsers().map(\.emailCanonical) == ["bob@example.com"])
    }

    @Test("a source record older than the store's import is not found rather than overwriting")
    func staleRecord() async throws {
        var newer = Records.user("ada").from("second")
        newer.modifiedAt = Records.modified.addingTimeInterval(60)
        newer.values[Attribute.email] = "ada.lovelace@example.com"
        _ = try await store.upsert(newer)
        let pipeline = ResolutionPipeline(store: store, [("second", second)])
        #expect(try await pipeline.resolve(email: "ada@example.com") == .notFound)
        #expect(await store.user(source: "second", recordID: "recAda")?.emailCanonical == "ada.lovelace@example.com")
    }
}
