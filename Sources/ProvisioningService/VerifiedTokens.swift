import Foundation
import Synchronization

/// Access tokens this process has verified, until they expire: a bearer
/// token presented again skips the Ed25519 check and the claims' JSON. The
/// answer is the same as verifying again, since a verified token's only
/// changing property is its `exp`, checked on every hit.
final class VerifiedTokens: Sendable {
    private let claimsByToken = Mutex<[String: AccessTokenClaims]>([:])
    let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func claims(of token: String, now: Date = Date()) -> AccessTokenClaims? {
        claimsByToken.withLock { cached in
            guard let claims = cached[token] else { return nil }
            guard claims.exp.value > now else {
                cached[token] = nil
                return nil
            }
            return claims
        }
    }

    /// Drop `userID`'s tokens (another instance changed the user).
    func forget(userID: UUID) {
        let subject = userID.uuidString.lowercased()
        claimsByToken.withLock { cached in cached = cached.filter { $0.value.sub.value.lowercased() != subject } }
    }

    func removeAll() {
        claimsByToken.withLock { $0.removeAll() }
    }

    func remember(_ claims: AccessTokenClaims, of token: String, now: Date = Date()) {
        claimsByToken.withLock { cached in
            if cached.count >= capacity {
                cached = cached.filter { $0.value.exp.value > now }
                if cached.count >= capacity { cached.removeAll(keepingCapacity: true) }
            }
            cached[token] = claims
        }
    }
}
