import HummingbirdBcrypt
import NIOPosix
import Provisioning

/// bcrypt off the event loop. Every login verifies a hash, a dummy one when
/// there is no user or no password, so a miss takes as long as a wrong password.
struct PasswordVerifier: Sendable {
    /// bcrypt reads at most 72 bytes; longer passwords are refused, never truncated.
    static let maxPasswordBytes = 72

    let dummyHash: String

    init(cost: Int) async throws {
        let cost = UInt8(clamping: cost)
        dummyHash = try await NIOThreadPool.singleton.runIfActive {
            Bcrypt.hash("provisiond-dummy-\(UInt64.random(in: .min ... .max))", cost: cost)
        }
    }

    /// How long one verify at the configured cost takes here: the least of
    /// three, so that a busy moment at start does not set the floor for good.
    func measureVerify() async throws -> Duration {
        var fastest = Duration.seconds(3_600)
        for _ in 0..<3 {
            let started = ContinuousClock.now
            _ = try await verify("provisiond-measure", hash: nil)
            fastest = min(fastest, ContinuousClock.now - started)
        }
        return fastest
    }

    /// Verify `password` against `hash`, or against the dummy hash when nil.
    /// A stored hash that is malformed or costlier than any import allows
    /// (a row written before the check) is never verified: it could pin a
    /// thread of the pool for seconds; the dummy is verified instead.
    func verify(_ password: String, hash: String?) async throws -> Bool {
        let usable = hash.flatMap(BcryptHash.init).flatMap { $0.cost <= BcryptHash.maxImportCost ? $0 : nil }
        let target = usable?.verifiable ?? dummyHash
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) }
        return usable != nil && matches
    }

    /// A hash of `password` at `cost` (a password the user sets).
    func hash(_ password: String, cost: Int) async throws -> String {
        let cost = UInt8(clamping: cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// A new hash of `password` at `cost` when `hash` (which just verified)
    /// has another cost or the `$2y$` prefix; nil when it is fine as it is.
    func rehash(_ password: String, verified hash: String, cost: Int) async throws -> String? {
        guard let parsed = BcryptHash(hash), parsed.wantsRehash(atCost: cost) else { return nil }
        return try await self.hash(password, cost: cost)
    }
}
