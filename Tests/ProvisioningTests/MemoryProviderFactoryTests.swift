import Foundation
import Logging
@testable import Provisioning
import Testing

@Suite("Memory provider factory")
struct MemoryProviderFactoryTests {
    /// A config whose only provider is `sample`, indented under `providers:`.
    static func config(around sample: String) -> String {
        let entry = sample.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        return "version: 1\nproviders:\n" + entry + "\n"
    }

    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("the sample config decodes without problems")
    func sampleDecodes() throws {
        let factory = MemoryProviderFactory()
        let config = try load(Self.config(around: factory.sampleConfig))
        #expect(config.providers.map(\.kind) == [factory.kind])
        #expect(config.providers.map(\.name) == ["demo_users"])
        let settings = try #require(config.providers.first?.settings as? MemoryProviderFactory.Settings)
        #expect(settings.unavailable == false)
        #expect(settings.records.map(\.email) == ["ada@example.com"])
        #expect(settings.records.first?.recordID == "recAda0000000001")
    }

    @Test("every registered kind's sample decodes without problems")
    func everySample() throws {
        var registry = try memoryRegistry()
        try registry.register(provider: SourceOnlyFactory())
        for factory in registry.providers.values where factory.roles.contains(.store) {
            #expect(try problems(Self.config(around: factory.sampleConfig), registry: registry) == [], "kind \(factory.kind)")
        }
    }

    @Test("attributes beyond the core ones are mapped from the users' keys")
    func mappedAttributes() throws {
        let yaml = Self.config(around: "- name: m\n  kind: memory\n  users:\n    - email: a@b.co\n      team: x\n      floor: \"3\"\n")
        let config = try load(yaml)
        #expect(config.providers.first?.mappedAttributes == ["floor", "team"])
    }

    @Test("the sample builds a store seeded with its users")
    func sampleBuildsSeededStore() async throws {
        let config = try load(Self.config(around: MemoryProviderFactory().sampleConfig))
        let built = try await config.build(registry: try memoryRegistry(), logger: Self.logger)
        #expect(built.sources.isEmpty)
        let resolution = try await built.pipeline.resolve(email: "Ada@Example.com")
        #expect(resolution.provisioned == false)
        #expect(resolution.user?.role == "admin")
    }

    @Test("a memory source behind a memory store provisions on first resolve")
    func storeAndSource() async throws {
        let yaml = minimalConfig + "\n  - name: people\n    kind: memory\n    users:\n      - email: bob@example.com\n        record_id: recBob\n"
        let built = try await load(yaml).build(registry: try memoryRegistry(), logger: Self.logger)
        #expect(built.sources.map(\.name) == ["people"])
        let resolution = try await built.pipeline.resolve(email: "bob@example.com")
        #expect(resolution.provisioned == true)
        #expect(resolution.user?.recordID(in: "people") == "recBob")
        #expect(try await built.store.user(source: "people", recordID: "recBob") != nil)
    }

    @Test("unavailable: true makes the source answer unavailable")
    func unavailableSource() async throws {
        let yaml = minimalConfig + "\n  - name: people\n    kind: memory\n    unavailable: true\n    users:\n      - email: bob@example.com\n"
        let built = try await load(yaml).build(registry: try memoryRegistry(), logger: Self.logger)
        #expect(try await built.pipeline.resolve(email: "bob@example.com") == .unavailable(retryAfterSeconds: 30))
    }
}
