import Foundation
import Provisioning

/// Every capability a store kind supplies, built together over one store
/// (CONTRACT.md §2; ARCHITECTURE.md): what `StoreKitConformance` checks.
public struct StoreKit: Sendable {
    public var store: any IdentityStore
    public var refreshTokens: any RefreshTokenRepository
    public var webhookLedger: any WebhookLedger
    public var syncState: any SyncStateStore
    public var signInCodes: any SignInCodeStore
    public var externalIdentities: any ExternalIdentityStore
    public var sourceSubscriptions: any SourceSubscriptionStore

    public init(
        store: any IdentityStore, refreshTokens: any RefreshTokenRepository, webhookLedger: any WebhookLedger, syncState: any SyncStateStore,
        signInCodes: any SignInCodeStore, externalIdentities: any ExternalIdentityStore, sourceSubscriptions: any SourceSubscriptionStore
    ) {
        self.sourceSubscriptions = sourceSubscriptions
        self.signInCodes = signInCodes
        self.externalIdentities = externalIdentities
        self.store = store
        self.refreshTokens = refreshTokens
        self.webhookLedger = webhookLedger
        self.syncState = syncState
    }

    /// The capabilities of a built store provider; nil when one is missing.
    public init?(_ instance: ProviderInstance) {
        guard let store = instance.store, let refreshTokens = instance.refreshTokens,
              let webhookLedger = instance.webhookLedger, let syncState = instance.syncState,
              let signInCodes = instance.signInCodes, let externalIdentities = instance.externalIdentities,
              let sourceSubscriptions = instance.sourceSubscriptions else { return nil }
        self.init(
            store: store, refreshTokens: refreshTokens, webhookLedger: webhookLedger, syncState: syncState,
            signInCodes: signInCodes, externalIdentities: externalIdentities, sourceSubscriptions: sourceSubscriptions)
    }

    /// The `memory` kind's capabilities over one fresh store.
    public static func memory(precedence: PrecedencePolicy, softDelete: SoftDeletePolicy) -> StoreKit {
        let store = MemoryStore(precedence: precedence, softDelete: softDelete)
        let codes = MemorySignInCodes()
        return StoreKit(
            store: store, refreshTokens: MemoryRefreshTokens(store: store),
            webhookLedger: MemoryWebhookLedger(store: store), syncState: MemorySyncState(store: store),
            signInCodes: codes, externalIdentities: codes, sourceSubscriptions: MemorySourceSubscriptions())
    }
}
