import Foundation

/// Builds a `UserExplanation` from a built pipeline: reads the store, asks
/// each source once (its budget spent at background priority), and applies
/// the rules the store applies (`AttributeMerge`, the stale guard, the
/// soft-delete policy) without writing anything. Other configs' rules
/// (`alternatives`) are applied to the same facts: a dry run of a change.
public struct Explainer: Sendable {
    public enum Query: Sendable, Equatable {
        case email(String)
        case userID(UUID)
        case recordID(String)
    }

    /// A config's rules, named.
    public struct Rules: Sendable {
        public var name: String
        public var precedence: PrecedencePolicy
        public var softDelete: SoftDeletePolicy
        public init(name: String, precedence: PrecedencePolicy, softDelete: SoftDeletePolicy) {
            self.name = name
            self.precedence = precedence
            self.softDelete = softDelete
        }
    }

    let store: any IdentityStore
    let sources: [ResolutionPipeline.NamedSource]
    let resolver: ResolutionPipeline
    let rules: [Rules]

    /// `name`: what the pipeline's config is called in the report.
    public init(pipeline: BuiltPipeline, name: String = "current", alternatives: [Rules] = []) {
        self.init(
            pipeline: pipeline,
            rules: [Rules(name: name, precedence: pipeline.config.precedence, softDelete: pipeline.config.softDelete)] + alternatives)
    }

    /// `rules`: the configs whose next import is shown; the first one's
    /// soft-delete policy decides the login (a dry run puts the current config first).
    public init(pipeline: BuiltPipeline, rules: [Rules]) {
        self.store = pipeline.store
        self.sources = pipeline.sources
        self.resolver = pipeline.pipeline
        self.rules = rules
    }

    /// `offline`: no source is asked.
    public func explain(_ query: Query, offline: Bool = false) async throws -> UserExplanation {
        let user = try await storedUser(query)
        let asked = user?.emailCanonical ?? { if case .email(let text) = query { EmailAddress.canonical(text) } else { nil } }()
        var lookups: [(name: String, lookup: SourceLookup?)] = []
        for source in sources {
            guard !offline else {
                lookups.append((source.name, nil))
                continue
            }
            lookups.append((source.name, await lookup(source, query: query, user: user, email: asked)))
        }
        // A record id with no stored user: the email is the record's.
        let found = lookups.compactMap { if case .found(let record)? = $0.lookup { record } else { nil } }
        let email = asked ?? found.lazy.compactMap { $0.email.flatMap(EmailAddress.canonical) }.first
        return UserExplanation(
            query: Self.describe(query), user: user.map(Self.report), sources: lookups.map(Self.report),
            imports: try await imports(lookups: lookups),
            login: login(email: email, user: user, lookups: lookups, offline: offline))
    }

    private func storedUser(_ query: Query) async throws -> StoredUser? {
        switch query {
        case .email(let text):
            guard let email = EmailAddress.canonical(text) else { return nil }
            return try await store.user(canonicalEmail: email)
        case .userID(let id):
            return try await store.user(id: id)
        case .recordID(let recordID):
            for source in sources {
                if let user = try await store.user(source: source.name, recordID: recordID) { return user }
            }
            return nil
        }
    }

    /// By the user's link when it has one, else by email (or the record id asked for).
    private func lookup(_ source: ResolutionPipeline.NamedSource, query: Query, user: StoredUser?, email: String?) async -> SourceLookup? {
        if let recordID = user?.recordID(in: source.name) { return await source.source.lookup(recordID: recordID, priority: .background) }
        if case .recordID(let recordID) = query { return await source.source.lookup(recordID: recordID, priority: .background) }
        guard let email else { return nil }
        return await source.source.lookup(canonicalEmail: email, priority: .background)
    }

    // MARK: Imports

    /// Each found record against the user the store's upsert would write
    /// into: the one linked to the record, else the one with its email.
    private func imports(lookups: [(name: String, lookup: SourceLookup?)]) async throws -> [UserExplanation.ImportReport] {
        var reports: [UserExplanation.ImportReport] = []
        for (name, lookup) in lookups {
            guard case .found(let found)? = lookup else { continue }
            let record = found.from(name)
            var target: StoredUser?
            if let recordID = record.recordID { target = try await store.user(source: name, recordID: recordID) }
            if target == nil, let email = record.email.flatMap(EmailAddress.canonical) { target = try await store.user(canonicalEmail: email) }
            for rules in self.rules { reports.append(Self.nextImport(record, into: target, rules: rules)) }
        }
        return reports
    }

    /// What the store's upsert would do with `record` under `rules`.
    static func nextImport(_ record: SourceRecord, into user: StoredUser?, rules: Rules) -> UserExplanation.ImportReport {
        let merge = AttributeMerge(policy: rules.precedence)
        guard let user else {
            let attributes = record.values.keys.sorted().map { attribute in
                UserExplanation.AttributeReport(
                    attribute: attribute, rule: rules.precedence.rule(for: attribute).rawValue, stored: nil,
                    source: Self.shown(attribute, record.values[attribute]), lastImported: nil, changed: "source",
                    next: Self.shown(attribute, record.values[attribute]), reason: "no stored user: the source's value is written")
            }
            return .init(source: record.source, config: rules.name, outcome: "insert",
                         reason: "the store has no user with this email or record: the next import inserts one", attributes: attributes)
        }
        if AttributeMerge.isStale(record, against: user) {
            return .init(source: record.source, config: rules.name, outcome: "stale",
                         reason: "the record's modified time is older than the last import from it: an import changes nothing", attributes: [])
        }
        if let problem = record.importProblem {
            return .init(source: record.source, config: rules.name, outcome: "rejected", reason: "the record is refused: \(problem)", attributes: [])
        }
        let snapshot = user.links[record.source]?.snapshot ?? [:]
        var attributes: [UserExplanation.AttributeReport] = []
        var changes = 0
        for attribute in Set(record.values.keys).union(user.values.keys).sorted() {
            let decision = merge.decide(
                attribute: attribute, stored: user.values[attribute], snapshot: snapshot[attribute], incoming: record.values[attribute],
                incomingModifiedAt: record.modifiedAt, storeUpdatedAt: user.storeUpdatedAt)
            if decision.value != user.values[attribute] { changes += 1 }
            let changed = decision.sourceChanged ? (decision.storeChanged ? "both" : "source") : (decision.storeChanged ? "store" : "neither")
            attributes.append(.init(
                attribute: attribute, rule: rules.precedence.rule(for: attribute).rawValue, stored: shown(attribute, user.values[attribute]),
                source: shown(attribute, record.values[attribute]), lastImported: shown(attribute, snapshot[attribute]), changed: changed,
                next: shown(attribute, decision.value), reason: decision.reason))
        }
        var reason = changes == 0 ? "every attribute stays as stored" : "\(changes) attribute(s) change"
        let restores = user.isDeleted && rules.softDelete.restoreOnUpdate
        if user.isDeleted {
            reason += restores
                ? "; the user is soft-deleted and restore_on_update is on: the import restores it (deleted_at cleared)"
                : "; the user is soft-deleted and restore_on_update is off: it stays deleted"
        }
        let linking = user.links[record.source] == nil
        if linking { reason += "; the user has no link to \(record.source) yet: the import links it to \(record.recordID ?? "the record")" }
        let outcome = linking ? "linked" : (changes > 0 || restores ? "update" : "unchanged")
        return .init(source: record.source, config: rules.name, outcome: outcome, reason: reason, attributes: attributes)
    }

    // MARK: Login

    /// As `ResolutionPipeline` would go: the store, then (for an email it
    /// lacks) the negative cache and each source in order, a source whose
    /// circuit is open counting as unavailable.
    private func login(
        email: String?, user: StoredUser?, lookups: [(name: String, lookup: SourceLookup?)], offline: Bool
    ) -> UserExplanation.LoginReport {
        let policy = rules[0].softDelete
        guard let email else {
            return .init(path: "none", allowed: false, reason: "no email: nothing to sign in with")
        }
        if let user {
            let password = user.passwordHash == nil ? "absent" : "present"
            guard policy.allowsLogin(user) else {
                return .init(path: "store_hit", allowed: false,
                             reason: "the user is soft-deleted and soft_delete.deleted_users_can_login is false: sign-in is refused (401)",
                             password: password)
            }
            return .init(path: "store_hit", allowed: true, reason: "the store has the user: no source is asked", password: password)
        }
        let states = sources.map { source -> UserExplanation.LoginSourceReport in
            guard let breaker = source.source.sourceBudget?.breaker, breaker.isOpen else { return .init(name: source.name, circuit: "closed") }
            return .init(name: source.name, circuit: "open", retryAfterSeconds: breaker.retryAfterSeconds())
        }
        if resolver.negativeCache.contains("email:\(email)") {
            return .init(path: "read_through", allowed: false,
                         reason: "the email is in this process's negative cache: sign-in is refused (401) without asking a source",
                         negativeCached: true, sources: states)
        }
        if !states.isEmpty, states.allSatisfy({ $0.circuit == "open" }) {
            let waits = states.map { "\($0.name) \($0.retryAfterSeconds ?? 0) s" }.joined(separator: ", ")
            return .init(path: "read_through", allowed: false,
                         reason: "not in the store and every source's circuit is open (a 429 or failures; \(waits)): sign-in gets 503 with Retry-After",
                         negativeCached: false, sources: states)
        }
        if offline {
            return .init(path: "read_through", allowed: nil,
                         reason: "not in the store: the sources would be asked in resolution.order (not asked now: --offline)",
                         negativeCached: false, sources: states)
        }
        var unavailable: [String] = []
        for (state, entry) in zip(states, lookups) {
            if state.circuit == "open" {
                unavailable.append("\(state.name)'s circuit is open (retry after \(state.retryAfterSeconds ?? 0) s)")
                continue
            }
            switch entry.lookup {
            case .found(let record)?:
                if let problem = record.importProblem {
                    return .init(path: "read_through", allowed: false,
                                 reason: "\(state.name) has the email but its record is refused (\(problem)): sign-in gets 401",
                                 negativeCached: false, sources: states, wouldAnswer: state.name)
                }
                return .init(path: "read_through", allowed: true,
                             reason: "not in the store: \(state.name) has the email, and the sign-in provisions the user from it",
                             negativeCached: false, sources: states, wouldAnswer: state.name)
            case .unavailable?:
                unavailable.append("\(state.name) did not answer")
            case .notFound?, nil:
                continue
            }
        }
        guard unavailable.isEmpty else {
            return .init(path: "read_through", allowed: false,
                         reason: "not in the store, no source that answered has it, and \(unavailable.joined(separator: ", ")): sign-in gets 503 with Retry-After",
                         negativeCached: false, sources: states)
        }
        return .init(path: "read_through", allowed: false,
                     reason: "not in the store and no source has the email: sign-in is refused (401) and the email negative-cached",
                     negativeCached: false, sources: states)
    }

    // MARK: Reports

    /// A password hash is shown only as present or absent.
    static func shown(_ attribute: String, _ value: String?) -> String? {
        guard attribute == Attribute.passwordHash else { return value }
        return value == nil ? nil : "present"
    }

    static func masked(_ values: [String: String]) -> [String: String] {
        values.reduce(into: [:]) { $0[$1.key] = shown($1.key, $1.value) }
    }

    static func time(_ date: Date?) -> String? { date?.formatted(.iso8601) }

    static func describe(_ query: Query) -> [String: String] {
        switch query {
        case .email(let email): ["email": email]
        case .userID(let id): ["user_id": id.uuidString.lowercased()]
        case .recordID(let id): ["record_id": id]
        }
    }

    static func report(_ user: StoredUser) -> UserExplanation.StoredUserReport {
        .init(
            id: user.id.uuidString.lowercased(), values: masked(user.values), deletedAt: time(user.deletedAt),
            lastAppWrite: time(user.storeUpdatedAt), createdAt: time(user.createdAt) ?? "", updatedAt: time(user.updatedAt) ?? "",
            links: user.links.mapValues { .init(recordID: $0.recordID, lastImported: masked($0.snapshot), modifiedAt: time($0.modifiedAt)) })
    }

    static func report(_ entry: (name: String, lookup: SourceLookup?)) -> UserExplanation.SourceReport {
        switch entry.lookup {
        case nil: .init(name: entry.name, lookup: "skipped")
        case .found(let record)?:
            .init(name: entry.name, lookup: "found", recordID: record.recordID, values: masked(record.values), modifiedAt: time(record.modifiedAt))
        case .notFound?: .init(name: entry.name, lookup: "not_found")
        case .unavailable(let seconds)?: .init(name: entry.name, lookup: "unavailable", retryAfterSeconds: seconds)
        }
    }
}
