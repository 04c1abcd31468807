import Hummingbird
import Provisioning

/// `/healthz` (the process runs), `/readyz` (the store answers; sources are
/// reported, never fail it; each source webhook's state is shown) and
/// `/metrics` (Prometheus text).
struct HealthRoutes: Sendable {
    let store: any IdentityStore
    let sourceNames: [String]
    let pushSyncs: [PushSync]
    let metricsText: @Sendable () -> String

    struct Readiness: Encodable {
        var status: String
        var store: String
        var sources: [String: String]
        /// By provider name; absent when no source pushes.
        var webhooks: [String: PushStatus]?
    }

    /// `metrics`: whether this listener answers `/metrics`.
    func register(on router: Router<AppRequestContext>, metrics: Bool) {
        router.get("/healthz") { _, _ in
            try jsonResponse(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            let reachable = await store.isReachable()
            var webhooks: [String: PushStatus] = [:]
            if reachable {
                for sync in pushSyncs { webhooks[sync.source] = await sync.status() }
            }
            let readiness = Readiness(
                status: reachable ? "ready" : "unavailable", store: reachable ? "ok" : "unreachable",
                sources: Dictionary(uniqueKeysWithValues: sourceNames.map { ($0, "not_checked") }),
                webhooks: pushSyncs.isEmpty ? nil : webhooks)
            return try jsonResponse(readiness, status: reachable ? .ok : .serviceUnavailable)
        }
        guard metrics else { return }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metricsText())))
        }
    }
}
