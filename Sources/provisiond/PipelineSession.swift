import Logging
import Provisioning
import ProvisioningService

/// A pipeline built from `config` for a one-shot command, its runners (the
/// pool) running for the length of `body`; by default warnings go to standard error.
func withPipeline<T: Sendable>(
    _ config: PipelineConfig, logger: Logger = warningsToStandardError(), _ body: (BuiltPipeline) async throws -> T
) async throws -> T {
    let pipeline = try await config.build(registry: BuiltinKinds.registry(), logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        for run in pipeline.runners { group.addTask { try await run() } }
        defer { group.cancelAll() }
        return try await body(pipeline)
    }
}

func warningsToStandardError() -> Logger {
    var logger = Logger(label: "provisiond", factory: { StreamLogHandler.standardError(label: $0) })
    logger.logLevel = .warning
    return logger
}
