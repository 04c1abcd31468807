import Foundation
@testable import Provisioning
import Testing

@Suite("Config loading")
struct ConfigLoaderTests {
    @Test("a config with every section set decodes to those values")
    func validFixture() throws {
        let file = try #require(Bundle.module.path(forResource: "valid", ofType: "yaml", inDirectory: "Fixtures"))
        let loader = ConfigLoader(registry: try memoryRegistry(), environment: ["ISSUER": "auth.example.com"])
        let config = try loader.load(file: file)
        #expect(config.file == file)
        #expect(config.version == 1)
        #expect(config.providers.map(\.name) == ["app_db", "directory"])
        #expect(config.providers.map(\.kind) == ["memory", "memory"])
        #expect(config.providers[1].mappedAttributes == ["team"])
        #expect(config.attributes == ["email", "display_name", "role", "password_hash", "team"])
        let directory = try #require(config.providers[1].settings as? MemoryProviderFactory.Settings)
        #expect(directory.unavailable == false)
        #expect(directory.records.map(\.recordID) == ["recAda0000000001"])
        #expect(directory.records.first?.values == [
            "email": "Ada@Example.com", "display_name": "Ada", "role": "admin", "team": "math",
        ])
        #expect(config.resolution == ResolutionConfig(order: ["app_db", "directory"], negativeCacheSeconds: 45))
        #expect(config.precedence == PrecedencePolicy(defaultRule: .store, attributeRules: ["role": .source, "team": .newest]))
        #expect(config.softDelete == SoftDeletePolicy(onDeleteEvent: .hard, deletedUsersCanLogin: true, restoreOnUpdate: false))
        #expect(config.webhook.path == "/hooks/users")
        #expect(config.webhook.maxBodyBytes == 1024)
        #expect(config.webhook.idempotencyRetentionHours == 24)
        #expect(config.webhook.schemes.isEmpty)
        #expect(config.sync == SyncConfig(intervalSeconds: 0, reconcileIntervalSeconds: 600))
        #expect(config.auth == AuthConfig(
            bcryptCost: 10, issuer: "auth.example.com", audience: "web", accessTokenTTLSeconds: 60,
            refreshTokenTTLSeconds: 3600, signingKey: ""))
    }

    @Test("every section but version and providers has the contract's defaults")
    func defaults() throws {
        let config = try load(minimalConfig + "\n  - name: directory\n    kind: memory\n")
        #expect(config.resolution == ResolutionConfig(order: ["app_db", "directory"], negativeCacheSeconds: 30))
        #expect(config.precedence == PrecedencePolicy(defaultRule: .newest, attributeRules: ["role": .source, "password_hash": .store]))
        #expect(config.softDelete == SoftDeletePolicy(onDeleteEvent: .soft, deletedUsersCanLogin: false, restoreOnUpdate: true))
        #expect(config.webhook.path == "/api/sync/users/inbound")
        #expect(config.webhook.maxBodyBytes == 65536)
        #expect(config.webhook.idempotencyRetentionHours == 72)
        #expect(config.webhook.schemes.isEmpty)
        #expect(config.sync == SyncConfig(intervalSeconds: 60, reconcileIntervalSeconds: 3600))
        #expect(config.auth == AuthConfig(
            bcryptCost: 12, issuer: "provisiond", audience: "app", accessTokenTTLSeconds: 900,
            refreshTokenTTLSeconds: 2_592_000, signingKey: ""))
    }

    @Test("resolution.order defaults to the declared order even when the section is present")
    func defaultOrder() throws {
        let yaml = minimalConfig + "\n  - name: b\n    kind: memory\n  - name: a\n    kind: memory\nresolution:\n  negative_cache_s: 5\n"
        let config = try load(yaml)
        #expect(config.resolution == ResolutionConfig(order: ["app_db", "b", "a"], negativeCacheSeconds: 5))
    }

    @Test("${VAR} and ${VAR:-default} are expanded from the given environment", arguments: [
        ("${ISSUER}", ["ISSUER": "me"], "me"),
        ("${ISSUER:-fallback}", [:], "fallback"),
        ("${ISSUER:-fallback}", ["ISSUER": "me"], "me"),
        ("${ISSUER:-fallback}", ["ISSUER": ""], "fallback"),
        ("${ISSUER:-}", [:], ""),
        ("${ISSUER}", ["ISSUER": ""], ""),
        ("https://${HOST}:${PORT:-443}/x", ["HOST": "h.example"], "https://h.example:443/x"),
        ("no variables", [:], "no variables"),
        ("${A}${B}", ["A": "1", "B": "2"], "12"),
    ])
    func expansion(value: String, environment: [String: String], expected: String) throws {
        let config = try load(minimalConfig + "\nauth:\n  issuer: \"\(value)\"\n", environment: environment)
        #expect(config.auth.issuer == expected)
    }

    @Test("an expanded value never changes the document's structure")
    func expansionIsPerScalar() throws {
        let config = try load(minimalConfig + "\nauth:\n  issuer: ${ISSUER}\n", environment: ["ISSUER": "a\nbogus: 1"])
        #expect(config.auth.issuer == "a\nbogus: 1")
    }

    @Test("expanded integers and booleans are typed after expansion")
    func expandedTypes() throws {
        let yaml = minimalConfig + "\nsoft_delete:\n  restore_on_update: ${RESTORE}\nsync:\n  interval_s: ${INTERVAL:-15}\n"
        let config = try load(yaml, environment: ["RESTORE": "false"])
        #expect(config.softDelete.restoreOnUpdate == false)
        #expect(config.sync.intervalSeconds == 15)
    }

    @Test("a scheme kind from the registry decodes its own section")
    func schemes() throws {
        var registry = try memoryRegistry()
        try registry.register(scheme: TestTokenScheme())
        let yaml = minimalConfig + "\nwebhook:\n  schemes:\n    - kind: test-token\n      token: ${TOKEN}\n"
        let config = try ConfigLoader(registry: registry, environment: ["TOKEN": "t0k"]).load(yaml: yaml, file: "p.yaml")
        #expect(config.webhook.schemes.map(\.kind) == ["test-token"])
        #expect((config.webhook.schemes.first?.settings as? TestTokenScheme)?.token == "t0k")
    }

    @Test("a kind registered twice is refused")
    func duplicateKind() throws {
        var registry = try memoryRegistry()
        #expect(throws: RegistryError.duplicateKind("memory")) { try registry.register(provider: MemoryProviderFactory()) }
        try registry.register(scheme: TestTokenScheme())
        #expect(throws: RegistryError.duplicateKind("test-token")) { try registry.register(scheme: TestTokenScheme()) }
        #expect(RegistryError.duplicateKind("memory").description == "kind 'memory' is registered twice")
    }

    @Test("a file that cannot be read is one problem at 1:1")
    func unreadableFile() throws {
        let loader = ConfigLoader(registry: try memoryRegistry(), environment: [:])
        let path = "/nonexistent/\(UUID().uuidString).yaml"
        let error = #expect(throws: ConfigErrors.self) { try loader.load(file: path) }
        #expect(error?.problems.count == 1)
        #expect(error?.problems.first?.description.hasPrefix("\(path):1:1: cannot read file: ") == true)
    }
}
