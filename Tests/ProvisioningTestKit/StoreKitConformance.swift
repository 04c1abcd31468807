import Foundation
import Provisioning
import Testing

/// The behaviour every store kind's other capabilities must show: refresh
/// tokens, the webhook ledger, sync state, sign-in codes and external identities, and the rule that the store's
/// delete owns revocation. Run against `memory` and `postgres`; an app that
/// embeds the pipeline over its own store runs it the same way:
///
/// ```swift
/// @Test("my store kit conforms", arguments: StoreKitConformance.caseNames)
/// func conformance(_ name: String) async throws {
///     try await StoreKitConformance.run(name) { precedence, softDelete in
///         StoreKit(store: …, refreshTokens: …, webhookLedger: …, syncState: …, signInCodes: …, externalIdentities: …, sourceSubscriptions: …)
///     }
/// }
/// ```
public struct StoreKitConformance {
    /// Builds fresh, empty capabilities over one store with the given policies.
    public typealias MakeKit = @Sendable (PrecedencePolicy, SoftDeletePolicy) async throws -> StoreKit

    public typealias Case = ConformanceCase<MakeKit>

    public static let caseNames: [String] = cases.map(\.name)

    /// Run the case called `name`; failures are issues of the running test.
    public static func run(_ name: String, makeKit: @escaping MakeKit) async throws {
        try await ConformanceCase.run(name, in: cases, suite: "store kit conformance", make: makeKit)
    }

    static let cases: [Case] = tokenCases + revocationCases + ledgerCases + syncStateCases + signInCodeCases + subscriptionCases

    static func later(_ seconds: TimeInterval) -> Date { Date().addingTimeInterval(seconds) }
}
