import Logging
import Provisioning
import ServiceLifecycle

/// Keeps each source's push subscription (an Airtable webhook) alive inside
/// `serve`: created or adopted at start, then checked, refreshed and
/// re-created on its schedule (`PushSync.run`). Never throws.
struct PushSyncService: Service {
    let syncs: [PushSync]
    let store: any IdentityStore
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            guard await store.migratedForBackgroundWork(logger: logger, event: "push.waiting_for_store") else { return }
            await withDiscardingTaskGroup { group in
                for sync in syncs { group.addTask { await sync.run() } }
            }
        }
    }
}
