import Foundation
import HummingbirdTesting
import Logging
import Synchronization
import Testing
@testable import ProvisioningService

/// Collects the JSON lines a `JSONLogHandler` writes.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
    var objects: [[String: Any]] {
        all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    func events(_ name: String) -> [[String: Any]] { objects.filter { $0["event"] as? String == name } }
}

@Suite("JSON logs and counters")
struct ObservabilityTests {
    @Test("a read-through login logs the contract's events as JSON, emails masked, no secrets")
    func readThroughLogs() async throws {
        let lines = LogLines()
        var options = ServiceHarness.Options()
        options.extraYAML = AuthFixtures.authYAML
        options.logHandler = { label in
            var handler = JSONLogHandler(label: label, write: { lines.append($0) })
            handler.logLevel = .debug
            return handler
        }
        try await ServiceHarness.run(options) { harness, client in
            AuthFixtures.airtableUser(harness, email: "secret.person@example.com")
            let login = try await AuthFixtures.login(client, "secret.person@example.com")
            #expect(login.status == .ok)
            let body = try AuthFixtures.object(login)
            _ = try await AuthFixtures.login(client, "nobody.here@example.com")
            harness.sim.setFault(.status503, count: nil, fraction: 1.0)
            _ = try await AuthFixtures.login(client, "down.time@example.com")

            #expect(lines.all.count == lines.objects.count, "every line is one JSON object")
            for event in ["readthrough.miss", "readthrough.provisioned", "readthrough.not_found", "readthrough.unavailable"] {
                #expect(!lines.events(event).isEmpty, "no \(event) line")
            }
            _ = try await AuthFixtures.login(client, "secret.person@example.com")
            #expect(!lines.events("readthrough.hit").isEmpty)
            #expect(!lines.events("upsert.conflict").isEmpty || !lines.events("readthrough.provisioned").isEmpty)
            let text = lines.all.joined(separator: "\n")
            #expect(!text.contains("secret.person@example.com"))
            #expect(text.contains("s***@example.com"))
            #expect(!text.contains(AuthFixtures.password))
            #expect(!text.contains(AuthFixtures.passwordHash))
            #expect(!text.contains(try #require(body["access_token"] as? String)))
            #expect(!text.contains(try #require(body["refresh_token"] as? String)))
            #expect(!text.contains(ServiceHarness.token))
        }
    }

    @Test("the contract's counters appear in /metrics with exact names")
    func counterNames() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = AuthFixtures.authYAML
        options.management = true
        try await ServiceHarness.run(options) { harness, client in
            AuthFixtures.airtableUser(harness, email: "count@example.com")
            #expect(try await AuthFixtures.login(client, "count@example.com").status == .ok)
            #expect(try await AuthFixtures.login(client, "missing@example.com").status == .unauthorized)
            let metrics = try await ListenerTests.get(try #require(harness.managementURL) + "/metrics").body
            #expect(metrics.contains("auth_readthrough_attempts 2"))
            #expect(metrics.contains("auth_readthrough_success 1"))
            #expect(metrics.contains("# TYPE auth_readthrough_attempts counter"))
        }
    }
}
