import ServiceLifecycle

/// A provider's long-running part (a connection pool) as a lifecycle service.
struct ClosureService: Service {
    let body: @Sendable () async throws -> Void
    func run() async throws {
        try await cancelWhenGracefulShutdown { try await body() }
    }
}
