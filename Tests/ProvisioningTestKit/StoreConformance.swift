import Foundation
import Provisioning
import Testing

/// The behaviour every `IdentityStore` must show (CONTRACT.md §2, soft delete
/// and precedence). The memory store and the Postgres store both run it, so
/// that the Swift reference semantics and the compiled SQL cannot drift.
///
/// ```swift
/// @Test("the store conforms", arguments: StoreConformance.caseNames)
/// func conformance(_ name: String) async throws {
///     try await StoreConformance.run(name) { precedence, softDelete in
///         MemoryStore(precedence: precedence, softDelete: softDelete)
///     }
/// }
/// ```
///
/// Every case uses its own random emails and record ids, so cases may run in
/// parallel against one database. Stores stamp their own times: the cases
/// only rely on their ordering.
public struct StoreConformance {
    /// Builds a fresh, empty store with the given policies.
    public typealias MakeStore = @Sendable (PrecedencePolicy, SoftDeletePolicy) async throws -> any IdentityStore

    public typealias Case = ConformanceCase<MakeStore>

    /// The names of every case, for `@Test(arguments:)`.
    public static let caseNames: [String] = cases.map(\.name)

    /// Run the case called `name` against stores built by `makeStore`.
    /// Failures are recorded as issues of the running test; an unknown
    /// name is one too.
    public static func run(_ name: String, makeStore: @escaping MakeStore) async throws {
        try await ConformanceCase.run(name, in: cases, suite: "store conformance", make: makeStore)
    }

    static let cases: [Case] = identityCases + precedenceCases + deleteCases + errorCases + linkCases
}

/// One named case of a conformance suite, over what `Make` builds.
public struct ConformanceCase<Make: Sendable>: Sendable {
    public let name: String
    let body: @Sendable (Fixture, Make) async throws -> Void

    /// Run the case called `name` of `cases`; an unknown name is an issue of the running test.
    static func run(_ name: String, in cases: [ConformanceCase], suite: String, make: Make) async throws {
        guard let found = cases.first(where: { $0.name == name }) else {
            Issue.record("no \(suite) case is named '\(name)'")
            return
        }
        try await found.body(Fixture(), make)
    }
}

/// Unique emails and record ids for one case run, and record builders.
struct Fixture: Sendable {
    let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
    /// A whole second a day ago: the base of source modified times.
    let base = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 86_400).rounded(.down))

    /// An address as a source might send it: mixed case.
    func email(_ who: String) -> String { "\(who.capitalized).\(token)@Example.COM" }
    func canonical(_ who: String) -> String { "\(who.lowercased()).\(token)@example.com" }
    func recordID(_ who: String) -> String { "rec\(who.capitalized)\(token)" }
    /// `base` plus some seconds.
    func at(_ seconds: TimeInterval) -> Date { base.addingTimeInterval(seconds) }

    /// A record of `who`, with the given values besides the email.
    func record(
        _ who: String, recordID: Bool = true, email: String? = nil, at seconds: TimeInterval = 0,
        modifiedAt: Date? = nil, source: String = "airtable", _ values: [String: String] = [:]
    ) -> SourceRecord {
        var all = values
        all[Attribute.email] = email ?? self.email(who)
        return SourceRecord(
            source: source, recordID: recordID ? self.recordID(who) : nil, values: all, modifiedAt: modifiedAt ?? at(seconds))
    }
}

/// The default policies of CONTRACT.md §1.
let defaultPrecedence = PrecedencePolicy()
let defaultSoftDelete = SoftDeletePolicy()

func onlyRule(_ rule: PrecedenceRule) -> PrecedencePolicy {
    PrecedencePolicy(defaultRule: rule, attributeRules: [:])
}

/// Whether `body` throws exactly `expected`.
func expectStoreError(
    _ expected: StoreError, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected \(expected), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        #expect(error == expected, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
}
