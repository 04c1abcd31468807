import Logging
import Provisioning

extension IdentityStore {
    /// `serve` migrates before accepting requests; a background service may
    /// start first, so it migrates too (idempotent, under the migration
    /// lock), retrying while the store is unreachable; false once cancelled.
    func migratedForBackgroundWork(logger: Logger, event: String) async -> Bool {
        while !Task.isCancelled {
            do {
                try await migrate()
                return true
            } catch {
                logger.warning("\(event)", metadata: ["event": .string(event), "error": .string(String(describing: error))])
                try? await Task.sleep(for: .seconds(5))
            }
        }
        return false
    }
}
