import AirtableSim
import ArgumentParser
import Foundation
import Logging

/// `airtable-sim`: a local server that speaks Airtable's Web API, for demos, tests and benchmarks.
@main
struct AirtableSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airtable-sim",
        abstract: "A local server that speaks Airtable's Web API (control routes under /_sim/)."
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free one.")
    var port = 0

    @Option(help: "The token clients must send as 'Authorization: Bearer <token>' (default: $AIRTABLE_TOKEN).")
    var token: String?

    @Option(help: "Base id served.")
    var base = SimConfiguration.defaultBase

    @Option(help: "Table served in that base; it accepts any field name and has a 'Last Modified' field.")
    var table = SimConfiguration.defaultTable

    @Option(help: "Seed file (JSON or YAML) adding tables and records.")
    var seed: String?

    @Option(name: .customLong("rate-limit"), help: "Requests per second per base before 429; 0 = unlimited.")
    var rateLimit = 5

    @Option(name: .customLong("rate-limit-penalty-s"), help: "Seconds a base answers only 429 after a request over the limit (Airtable: 30); 0 = none.")
    var rateLimitPenaltySeconds = 0

    @Option(name: .customLong("latency-ms"), help: "Latency added to every API request.")
    var latencyMs = 0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard rateLimit >= 0 else { throw ValidationError("--rate-limit must not be negative") }
        guard rateLimitPenaltySeconds >= 0 else { throw ValidationError("--rate-limit-penalty-s must not be negative") }
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must not be negative") }
    }

    func run() async throws {
        guard let token = token ?? ProcessInfo.processInfo.environment["AIRTABLE_TOKEN"], !token.isEmpty else {
            throw ValidationError("no token: pass --token or set AIRTABLE_TOKEN")
        }
        var logger = Logger(label: "airtable-sim")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        var configuration = SimConfiguration(token: token, base: base, table: table, host: host, port: port,
                                             rateLimitPerSecond: rateLimit, latencyMs: latencyMs)
        configuration.rateLimitPenaltySeconds = rateLimitPenaltySeconds
        let sim = AirtableSimulator(configuration: configuration, logger: logger)
        if let seed {
            do {
                try sim.seed(fromFile: seed)
            } catch {
                FileHandle.standardError.write(Data("airtable-sim: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        try await sim.run(handlingShutdownSignals: true) { port in
            // Unbuffered, so a script reading the pipe sees the line at once.
            FileHandle.standardOutput.write(Data("listening on http://\(shownHost):\(port)\n".utf8))
        }
    }
}
