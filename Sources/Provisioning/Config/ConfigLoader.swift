import Foundation
import Yams

/// Reads providers.yaml into a `PipelineConfig`, reporting every problem at
/// once as `file:line:column: path: message`.
public struct ConfigLoader: Sendable {
    public var registry: KindRegistry
    public var environment: [String: String]

    public init(registry: KindRegistry, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.registry = registry
        self.environment = environment
    }

    public func load(file: String) throws(ConfigErrors) -> PipelineConfig {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigErrors(problems: [ConfigProblem(file: file, line: 1, column: 1, path: "", message: "cannot read file: \(error.localizedDescription)")])
        }
        return try load(yaml: text, file: file)
    }

    public func load(yaml: String, file: String) throws(ConfigErrors) -> PipelineConfig {
        let diagnostics = ConfigDiagnostics(file: file, environment: environment)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigErrors(problems: [Self.problem(from: error, file: file)])
        } catch {
            throw ConfigErrors(problems: [ConfigProblem(file: file, line: 1, column: 1, path: "", message: "\(error)")])
        }
        guard let root, let top = ConfigSection.make(root, path: "", diagnostics: diagnostics) else {
            if diagnostics.problems.isEmpty { diagnostics.report(line: 1, column: 1, path: "", "the file is empty") }
            throw ConfigErrors(problems: diagnostics.problems)
        }
        let config = decode(top)
        guard diagnostics.problems.isEmpty, let config else { throw ConfigErrors(problems: diagnostics.problems) }
        return config
    }

    private func decode(_ top: ConfigSection) -> PipelineConfig? {
        let version = top.int("version", default: 1, range: 1...1)
        if top.node("version") == nil { top.problem("missing required key 'version'") }
        var declaredNames = Set<String>()
        let providers = decodeProviders(top, declaredNames: &declaredNames)
        let resolution = decodeResolution(top, providers: providers, declaredNames: declaredNames)
        let attributes = Set(Attribute.core + providers.flatMap(\.mappedAttributes))
        let precedence = decodePrecedence(top, attributes: attributes)
        let softDelete = decodeSoftDelete(top)
        let webhook = decodeWebhook(top)
        let sync = decodeSync(top)
        let auth = decodeAuth(top)
        let observability = decodeObservability(top)
        let credentials = decodeCredentials(top)
        top.rejectUnknownKeys()
        return PipelineConfig(
            file: top.diagnostics.file, version: version, providers: providers, resolution: resolution,
            precedence: precedence, softDelete: softDelete, webhook: webhook, sync: sync, auth: auth,
            observability: observability, credentials: credentials)
    }

    /// `credentials:`; absent: `[{kind: password}]` (CONTRACT.md §7).
    private func decodeCredentials(_ top: ConfigSection) -> [CredentialDeclaration] {
        guard let items = top.list("credentials") else { return [PasswordCredentialFactory.defaultDeclaration] }
        var declarations: [CredentialDeclaration] = []
        for item in items {
            guard let section = ConfigSection.make(item.node, path: item.path, diagnostics: top.diagnostics),
                  let kind = section.requiredString("kind") else { continue }
            guard let factory = section.registered(kind, in: registry.credentials, what: "credential") else { continue }
            if declarations.contains(where: { $0.kind == kind }) { section.problem(at: "kind", "credential kind '\(kind)' is declared twice") }
            let settings = factory.decode(section, registry)
            section.rejectUnknownKeys()
            if let settings { declarations.append(CredentialDeclaration(kind: kind, settings: settings, factory: factory)) }
        }
        return declarations
    }

    /// `declaredNames` collects every name, even of entries with problems, so
    /// that `order` does not report them a second time.
    private func decodeProviders(_ top: ConfigSection, declaredNames names: inout Set<String>) -> [ProviderDeclaration] {
        guard let items = top.list("providers") else {
            if top.node("providers") == nil { top.problem("missing required key 'providers'") }
            return []
        }
        if items.isEmpty { top.problem(at: "providers", "declare at least one provider") }
        var declarations: [ProviderDeclaration] = []
        for item in items {
            guard let section = ConfigSection.make(item.node, path: item.path, diagnostics: top.diagnostics) else { continue }
            let name = section.requiredString("name")
            let kind = section.requiredString("kind")
            if let name, !names.insert(name).inserted { section.problem(at: "name", "provider name '\(name)' is declared twice") }
            guard let kind else { continue }
            guard let factory = section.registered(kind, in: registry.providers, what: "provider") else { continue }
            let settings = factory.decode(section)
            section.rejectUnknownKeys()
            guard let name, let settings else { continue }
            let mapped = factory.mappedAttributes(settings)
            for attribute in mapped where !Attribute.isValidName(attribute) {
                section.problem("attribute name '\(attribute)' must be lower-case letters, digits and '_'")
            }
            declarations.append(ProviderDeclaration(name: name, kind: kind, roles: factory.roles, settings: settings, mappedAttributes: mapped,
                fieldMapping: factory.fieldMapping(settings)))
        }
        return declarations
    }

    private func decodeResolution(_ top: ConfigSection, providers: [ProviderDeclaration], declaredNames: Set<String>) -> ResolutionConfig {
        var config = ResolutionConfig(order: providers.map(\.name), negativeCacheSeconds: 30)
        guard let section = top.section("resolution") else { return checkedDefaultOrder(config, top: top, providers: providers) }
        config.negativeCacheSeconds = section.int("negative_cache_s", default: 30)
        config.coalesce = section.bool("coalesce", default: true)
        if let entries = section.stringListWithNodes("order") {
            var seen = Set<String>()
            for (index, entry) in entries.enumerated() {
                guard let provider = providers.first(where: { $0.name == entry.value }) else {
                    if !declaredNames.contains(entry.value) {
                        section.problem(at: entry.node, path: entry.path, "'\(entry.value)' names no declared provider")
                    }
                    continue
                }
                if !seen.insert(entry.value).inserted {
                    section.problem(at: entry.node, path: entry.path, "'\(entry.value)' appears twice")
                }
                let role: ProviderRoles = index == 0 ? .store : .source
                if !provider.roles.contains(role) {
                    let what = index == 0 ? "the first provider is the store, but kind '\(provider.kind)' cannot store users" : "kind '\(provider.kind)' cannot be a read-through source"
                    section.problem(at: entry.node, path: entry.path, what)
                }
            }
            if entries.isEmpty { section.problem(at: "order", "name at least one provider") }
            config.order = entries.map(\.value)
        } else if section.node("order") == nil {
            _ = checkedDefaultOrder(config, top: top, providers: providers)
        }
        section.rejectUnknownKeys()
        return config
    }

    /// Without `resolution.order`, the declared order must still put a store first.
    private func checkedDefaultOrder(_ config: ResolutionConfig, top: ConfigSection, providers: [ProviderDeclaration]) -> ResolutionConfig {
        if let first = providers.first, !first.roles.contains(.store) {
            top.problem(at: "providers", "the first provider is the store, but kind '\(first.kind)' cannot store users")
        }
        for provider in providers.dropFirst() where !provider.roles.contains(.source) {
            top.problem(at: "providers", "kind '\(provider.kind)' cannot be a read-through source")
        }
        return config
    }

    private func decodePrecedence(_ top: ConfigSection, attributes: Set<String>) -> PrecedencePolicy {
        var policy = PrecedencePolicy()
        guard let section = top.section("precedence") else { return policy }
        policy.defaultRule = section.choice("default", default: PrecedenceRule.newest)
        if let rules = section.section("attributes") {
            policy.attributeRules = [:]
            for (keyNode, valueNode) in rules.mapping {
                let name = keyNode.string ?? "?"
                _ = rules.node(name)
                let path = rules.childPath(name)
                guard attributes.contains(name) else {
                    let known = attributes.sorted().joined(separator: ", ")
                    rules.problem(at: keyNode, path: path, "unknown attribute '\(name)' (known: \(known))")
                    continue
                }
                guard let text = rules.scalarText(valueNode, path: path) else { continue }
                guard let rule = PrecedenceRule(rawValue: text) else {
                    rules.problem(at: valueNode, path: path, "expected one of source, store, newest, got '\(text)'")
                    continue
                }
                policy.attributeRules[name] = rule
            }
        }
        section.rejectUnknownKeys()
        return policy
    }

    private func decodeSoftDelete(_ top: ConfigSection) -> SoftDeletePolicy {
        var policy = SoftDeletePolicy()
        guard let section = top.section("soft_delete") else { return policy }
        policy.onDeleteEvent = section.choice("on_delete_event", default: SoftDeletePolicy.Mode.soft)
        policy.deletedUsersCanLogin = section.bool("deleted_users_can_login", default: false)
        policy.restoreOnUpdate = section.bool("restore_on_update", default: true)
        section.rejectUnknownKeys()
        return policy
    }

    private func decodeWebhook(_ top: ConfigSection) -> WebhookConfig {
        var config = WebhookConfig()
        guard let section = top.section("webhook") else { return config }
        config.path = section.string("path", default: config.path)
        if !config.path.hasPrefix("/") { section.problem(at: "path", "must start with '/'") }
        config.maxBodyBytes = section.int("max_body_bytes", default: config.maxBodyBytes, range: 1...(64 << 20))
        config.idempotencyRetentionHours = section.int("idempotency_retention_hours", default: config.idempotencyRetentionHours, range: 1...Int.max)
        var longestTolerance = 0
        for item in section.list("schemes") ?? [] {
            guard let scheme = ConfigSection.make(item.node, path: item.path, diagnostics: top.diagnostics),
                  let kind = scheme.requiredString("kind") else { continue }
            guard let factory = scheme.registered(kind, in: registry.schemes, what: "signature scheme") else { continue }
            let settings = factory.decode(scheme)
            scheme.rejectUnknownKeys()
            if let settings {
                config.schemes.append(SchemeDeclaration(kind: kind, settings: settings))
                longestTolerance = max(longestTolerance, factory.tolerance(settings))
            }
        }
        if longestTolerance > config.idempotencyRetentionHours * 3_600 {
            section.problem(at: "idempotency_retention_hours",
                "must cover the longest tolerance_s (\(longestTolerance) s): a replay inside the tolerance would apply twice")
        }
        section.rejectUnknownKeys()
        return config
    }

    private func decodeSync(_ top: ConfigSection) -> SyncConfig {
        var config = SyncConfig()
        guard let section = top.section("sync") else { return config }
        config.intervalSeconds = section.int("interval_s", default: config.intervalSeconds)
        config.reconcileIntervalSeconds = section.int("reconcile_interval_s", default: config.reconcileIntervalSeconds)
        section.rejectUnknownKeys()
        return config
    }

    private func decodeAuth(_ top: ConfigSection) -> AuthConfig {
        var config = AuthConfig()
        guard let section = top.section("auth") else { return config }
        config.bcryptCost = section.int("bcrypt_cost", default: config.bcryptCost, range: 10...BcryptHash.maxImportCost)
        config.issuer = section.string("issuer", default: config.issuer)
        config.audience = section.string("audience", default: config.audience)
        config.accessTokenTTLSeconds = section.int("access_token_ttl_s", default: config.accessTokenTTLSeconds, range: 1...Int.max)
        config.refreshTokenTTLSeconds = section.int("refresh_token_ttl_s", default: config.refreshTokenTTLSeconds, range: 1...Int.max)
        config.signingKey = section.string("signing_key", default: "")
        config.maxFailedLoginsPerEmailAndAddress = section.int(
            "max_failed_logins_per_email_and_address", default: config.maxFailedLoginsPerEmailAndAddress, range: 1...Int.max)
        config.maxFailedLoginsPerEmail = section.int("max_failed_logins_per_email", default: config.maxFailedLoginsPerEmail, range: 1...Int.max)
        config.maxFailedLoginsPerAddress = section.int("max_failed_logins_per_address", default: config.maxFailedLoginsPerAddress, range: 1...Int.max)
        config.failedLoginWindowSeconds = section.int("failed_login_window_s", default: config.failedLoginWindowSeconds, range: 1...Int.max)
        if section.isPresent("min_failure_ms") { config.minFailureMilliseconds = section.int("min_failure_ms", default: 0, range: 0...600_000) }
        config.meCacheMilliseconds = section.int("me_cache_ms", default: config.meCacheMilliseconds, range: 0...60_000)
        config.trustedProxies = section.stringList("trusted_proxies") ?? []
        section.rejectUnknownKeys()
        return config
    }

    private func decodeObservability(_ top: ConfigSection) -> ObservabilityConfig {
        var config = ObservabilityConfig()
        guard let section = top.section("observability") else { return config }
        config.publicMetrics = section.bool("public_metrics", default: config.publicMetrics)
        section.rejectUnknownKeys()
        return config
    }

    static func problem(from error: YamlError, file: String) -> ConfigProblem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigProblem(file: file, line: mark.line, column: mark.column, path: "", message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ConfigProblem(file: file, line: context.mark.line, column: context.mark.column, path: "", message: "invalid YAML: duplicate key \(keys)")
        default:
            return ConfigProblem(file: file, line: 1, column: 1, path: "", message: "invalid YAML: \(error)")
        }
    }
}
