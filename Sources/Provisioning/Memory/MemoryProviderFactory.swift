import Foundation

/// Kind `memory`: a store or source held in memory, seeded from config.
/// For tests and demos; its users are lost at exit.
public struct MemoryProviderFactory: ProviderFactory {
    public struct Settings: Sendable {
        public var records: [SourceRecord]
        public var unavailable: Bool
        public init(records: [SourceRecord] = [], unavailable: Bool = false) {
            self.records = records
            self.unavailable = unavailable
        }
    }

    public init() {}

    public let kind = "memory"
    public let roles: ProviderRoles = [.store, .source]
    public let sampleConfig = """
        - name: demo_users
          kind: memory            # users held in memory: tests and demos only
          unavailable: false      # true: answer every lookup as unreachable
          users:
            - email: ada@example.com
              record_id: recAda0000000001
              display_name: Ada
              role: admin
        """

    public func decode(_ section: ConfigSection) -> Settings? {
        let unavailable = section.bool("unavailable", default: false)
        var records: [SourceRecord] = []
        for item in section.list("users") ?? [] {
            guard let user = ConfigSection.make(item.node, path: item.path, diagnostics: section.diagnostics) else { continue }
            var values: [String: String] = [:]
            var recordID: String?
            for (keyNode, _) in user.mapping {
                guard let key = keyNode.string else { continue }
                guard let value = user.string(key) else { continue }
                if key == "record_id" { recordID = value } else { values[key] = value }
            }
            guard let email = values[Attribute.email] else {
                user.problem("missing required key 'email'")
                continue
            }
            if case .failure(let invalid) = Result(catching: { () throws(EmailAddress.Invalid) in try EmailAddress(email) }) {
                user.problem(at: Attribute.email, invalid.description)
            }
            records.append(SourceRecord(recordID: recordID, values: values, modifiedAt: Date(timeIntervalSince1970: 0)))
        }
        return Settings(records: records, unavailable: unavailable)
    }

    public func mappedAttributes(_ settings: Settings) -> [String] {
        Array(Set(settings.records.flatMap(\.values.keys)).subtracting(Attribute.core)).sorted()
    }

    public func make(_ settings: Settings, context: ProviderContext) async throws -> ProviderInstance {
        let store = MemoryStore(precedence: context.precedence, softDelete: context.softDelete)
        // Seeded as if imported from the first source (links need a source's name).
        let seededFrom = context.firstSource.isEmpty ? context.name : context.firstSource
        for record in settings.records { _ = try await store.upsert(record.from(seededFrom)) }
        let source = MemorySource(records: settings.records)
        if settings.unavailable { source.setUnavailable(retryAfterSeconds: 30) }
        let codes = MemorySignInCodes()
        return ProviderInstance(
            store: store, source: source, listable: source, refreshTokens: MemoryRefreshTokens(store: store),
            webhookLedger: MemoryWebhookLedger(store: store), syncState: MemorySyncState(store: store),
            signInCodes: codes, externalIdentities: codes, sourceSubscriptions: MemorySourceSubscriptions())
    }
}
