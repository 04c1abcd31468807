import Foundation
import Logging
import Metrics
import Prometheus
import ProvisioningService

/// Logging and metrics backends, bootstrapped once per process.
enum Bootstrap {
    static let registry = PrometheusCollectorRegistry()

    static func observability(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}
