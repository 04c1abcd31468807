import AsyncHTTPClient
import Foundation

/// `provisiond serve` processes of one build on one config, each on a port
/// of its own (management listener off), behind one nginx: what a
/// deployment of several instances looks like, for the cluster tests and
/// `provision-bench cluster`.
public struct ProvisiondInstances: Sendable {
    public let instances: [LocalProcess]
    public let ports: [Int]
    public let balancer: NginxBalancer

    public func baseURL(_ index: Int) -> String { "http://127.0.0.1:\(ports[index])" }

    /// Start `count` instances of `binary` on `config` (a YAML text), logs
    /// and nginx's files under `directory`; returns once every instance and
    /// nginx answer `GET /healthz`.
    public static func start(binary: String, config: String, count: Int, directory: String) async throws -> ProvisiondInstances {
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw ProcessKitError("\(binary) is missing: build it first") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configPath = directory + "/providers.yaml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        var instances: [LocalProcess] = []
        var ports: [Int] = []
        do {
            for index in 0..<count {
                let port = try LocalProcess.freePort()
                ports.append(port)
                instances.append(try LocalProcess(
                    executable: binary, arguments: ["serve", "--config", configPath, "--port", String(port), "--management-port", "0"],
                    logPath: directory + "/instance\(index).log"))
            }
            for (index, port) in ports.enumerated() { try await waitUntilHealthy("http://127.0.0.1:\(port)", process: instances[index]) }
            let balancer = try NginxBalancer.start(upstreamPorts: ports, directory: directory + "/nginx")
            do {
                try await waitUntilHealthy(balancer.baseURL, process: balancer.process)
            } catch {
                balancer.process.stop()
                throw error
            }
            return ProvisiondInstances(instances: instances, ports: ports, balancer: balancer)
        } catch {
            for instance in instances { instance.stop() }
            throw error
        }
    }

    public func stop() {
        balancer.process.stop()
        for instance in instances { instance.stop() }
    }

    /// Wait until `GET /healthz` answers 200 (the first instance migrates;
    /// the others wait for its lock).
    public static func waitUntilHealthy(_ baseURL: String, process: LocalProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw ProcessKitError("\(baseURL) exited before it was healthy:\n\(process.output.suffix(2000))") }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/healthz"), timeout: .seconds(2)),
               response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessKitError("\(baseURL) was not healthy within 120 s:\n\(process.output.suffix(2000))")
    }
}
