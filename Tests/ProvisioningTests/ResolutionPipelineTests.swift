import Foundation
import Provisioning
import Testing

@Suite("Resolution pipeline")
struct ResolutionPipelineTests {
    let store = MemoryStore()
    let source = MemorySource(records: [Records.user("ada", role: "admin")])

    @Test("a user in the store is found without asking a source")
    func storeHit() async throws {
        let stored = try await store.upsert(Records.user("bob"))
        let pipeline = ResolutionPipeline(store: store, [("directory", source)])
        let resolution = try await pipeline.resolve(email: "  BOB@example.com ")
        #expect(resolution == .found(stored.user, provisioned: false))
        #expect(source.lookupCount == 0)
    }

    @Test("a store miss found in a source is provisioned into the store")
    func provisioned() async throws {
        let pipeline = ResolutionPipeline(store: store, [("directory", source)])
        let resolution = try await pipeline.resolve(email: "ada@example.com")
        let user = try #require(resolution.user)
        #expect(resolution.provisioned == true)
        #expect(user.recordID(in: "directory") == "recAda")
        #expect(user.role == "admin")
        #expect(await store.user(canonicalEmail: "ada@example.com")?.id == user.id)
        #expect(source.lookupCount == 1)
        // The next login is a store hit.
        #expect(try await pipeline.resolve(email: "Ada@Example.com").provisioned == false)
        #expect(source.lookupCount == 1)
    }

    @Test("an unknown email is not found, then answered from the negative cache")
    func negativeCache() async throws {
        let pipeline = ResolutionPipeline(store: store, [("directory", source)])
        #expect(try await pipeline.resolve(email: "nobody@example.com") == .notFound)
        #expect(source.lookupCount == 1)
        #expect(try await pipeline.resolve(email: "Nobody@Example.com") == .notFound)
        #expect(source.lookupCount == 1)
    }

    @Test("forget clears a negative-cache entry")
    func forget() async throws {
        let pipeline = ResolutionPipeline(store: store, [("directory", source)])
        #expect(try await pipeline.resolve(email: "carol@example.com") == .notFound)
        source.put(Records.user("carol"))
        #expect(try await pipeline.resolve(email: "carol@example.com") == .notFound)
        pipeline.forget(canonicalEmail: "carol@example.com", source: "directory", recordID: nil)
        #expect(try await pipeline.resolve(email: "carol@example.com").provisioned == true)
        #expect(source.lookupCount == 2)
    }

    @Test("a negative cache of zero seconds caches nothing")
    func noNegativeCache() async throws {
        let pipeline = ResolutionPipeline(store: store, [("directory", source)], negativeCacheSeconds: 0)
        _ = try await pipeline.resolve(email: "nobody@example.com")
        _ = try await pipeline.resolve(email: "nobody@example.com")
        #expect(source.lookupCount == 2)
    }

    @Test("an unavailable source gives unavailable and is not negative-cached")
    func unavailable() async throws {
        let pipeline = ResolutionPipeline(store: store, [("directory", source)])
        source.setUnavailable(retryAfterSeconds: 7)
        #expect(try await pipeline.resolve(email: "ada@example.com") == .unavailable(retryAfterSeconds: 7))
        #expect(try await pipeline.resolve(email: "ada@example.com") == .unavailable(retryAfterSeconds: 7))
        #expect(source.lookupCount == 2)
        source.setUnavailable(retryAfterSeconds: nil)
        #expect(try await pipeline.resolve(email: "ada@example.com").provisioned == true)
        #expect(await store.allUsers().count == 1)
    }

    @Test("a retry-after of zero is reported as one second")
    func retryAfterAtLeastOne() async throws {
        source.setUnavailable(retryAfterSeconds: 0)
        let pipeline = ResolutionPipeline(store: store, [("directory", source)])
        #expect(try await pipeline.resolve(email: "ada@example.com") == .unavailable(retryAfterSeconds: 1))
    }

    @Test("users in the store still resolve while the source is unavailable")
    func storeWhileUnavailable() async throws {
        let stored = try await store.upsert(Records.user("bob"))
        source.setUnavailable(retryAfterSeconds: 30)
        let pipeline = ResolutionPipeline(store: store, [("directory", source)])
        #expect(try await pipeline.resolve(email: "bob@example.com") == .found(stored.user, provisioned: false))
        #expect(try await pipeline.resolve(userID: stored.user.id, links: [:]) == .found(stored.user, provisioned: false))
        #expect(source.lookupCount == 0)
    }

    @Test("an invalid email is not found without any lookup")
    func invalidEmail() async throws {
        let pipeline = ResolutionPipeline(store: store, [("directory", source)])
        #expect(try await pipeline.resolve(email: "not an email") == .notFound)
        #expect(try await pipeline.resolve(email: "") == .notFound)
        #expect(source.lookupCount == 0)
    }
}
