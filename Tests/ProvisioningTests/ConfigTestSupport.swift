import Foundation
@testable import Provisioning
import Testing

/// A registry with the memory kind only: the real built-in registry lives
/// in the service module.
func memoryRegistry() throws -> KindRegistry {
    var registry = KindRegistry()
    try registry.register(provider: MemoryProviderFactory())
    return registry
}

/// Load `yaml`, expecting problems; their printed forms, or [] if it loaded.
func problems(_ yaml: String, environment: [String: String] = [:], registry: KindRegistry? = nil) throws -> [String] {
    let loader = ConfigLoader(registry: try registry ?? memoryRegistry(), environment: environment)
    do {
        _ = try loader.load(yaml: yaml, file: "providers.yaml")
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

func load(_ yaml: String, environment: [String: String] = [:]) throws -> PipelineConfig {
    try ConfigLoader(registry: memoryRegistry(), environment: environment).load(yaml: yaml, file: "providers.yaml")
}

/// The smallest valid config: one memory store.
let minimalConfig = """
    version: 1
    providers:
      - name: app_db
        kind: memory
    """

/// A kind that can only be a read-through source.
struct SourceOnlyFactory: ProviderFactory {
    let kind = "source-only"
    let roles: ProviderRoles = [.source]
    let sampleConfig = "- name: feed\n  kind: source-only\n"
    func decode(_ section: ConfigSection) -> Int? { 0 }
    func make(_ settings: Int, context: ProviderContext) async throws -> ProviderInstance {
        ProviderInstance(source: MemorySource())
    }
}

/// A signature scheme kind that checks one header against one token.
struct TestTokenScheme: SignatureSchemeFactory, SignatureVerifier {
    var kind = "test-token"
    var token = ""
    var sampleConfig: String { "- kind: test-token\n  token: secret\n" }
    func decode(_ section: ConfigSection) -> TestTokenScheme? {
        guard let token = section.requiredString("token") else { return nil }
        return TestTokenScheme(token: token)
    }
    func make(_ settings: TestTokenScheme) throws -> any SignatureVerifier { settings }
    func isPresent(in headers: HeaderLookup) -> Bool { headers["X-Test-Token"] != nil }
    func verify(headers: HeaderLookup, body: [UInt8], now: Date) -> SignatureCheck {
        headers["X-Test-Token"] == token ? .valid(eventID: nil) : .invalid(reason: "wrong token")
    }
}
