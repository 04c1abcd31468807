import AirtableSim
import Foundation
import HTTPTypes
import NIOCore
import Provisioning
import ProvisioningService
import ProvisioningTestKit
import Testing

/// `GET /admin/users/explain` (the management listener) over real PostgreSQL
/// and airtable-sim, with the default precedence: `newest`, `role: source`,
/// `password_hash: store`.
@Suite("Explain")
struct ExplainTests {
    /// A user imported from the simulator at t0, then changed by the app at
    /// `appWrite` and in Airtable at `sourceWrite`.
    static func scenario(_ harness: ServiceHarness, email: String, appWrite: Date, sourceWrite: Date) async throws -> (StoredUser, String) {
        let t0 = FixtureTime.beforeAll
        let id = harness.sim.insert(
            base: ServiceHarness.base, table: "Users",
            fields: ["Email": .string(email), "Name": "Ada", "Role": "member", "Password Hash": .string(AuthFixtures.passwordHash)],
            createdTime: t0, lastModifiedTime: t0)
        guard case .found(let record) = await harness.pipeline.sources[0].source.lookup(recordID: id) else {
            throw HarnessError("record \(id) not found at the simulator")
        }
        let imported = try await harness.pipeline.store.upsert(record.from("airtable")).user
        _ = try await harness.pipeline.store.updateFromApp(id: imported.id, values: ["display_name": "Ada (app)"])
        try await ExplainTests.setStoreWriteTime(harness, id: imported.id, appWrite)
        harness.sim.update(base: ServiceHarness.base, table: "Users", id: id, fields: ["Name": "Ada (Airtable)", "Role": "admin"], lastModifiedTime: sourceWrite)
        return (imported, id)
    }

    static func setStoreWriteTime(_ harness: ServiceHarness, id: UUID, _ time: Date) async throws {
        _ = try await SyncFixtures.count(harness, "WITH u AS (UPDATE users SET store_updated_at = \(time) WHERE id = \(id) RETURNING 1) SELECT count(*)::int FROM u")
    }

    static func explain(_ harness: ServiceHarness, _ query: String) async throws -> [String: Any] {
        let admin = HarnessClient(baseURL: try #require(harness.managementURL))
        let response = try await admin.execute(uri: "/admin/users/explain?\(query)", method: .get)
        #expect(response.status == .ok)
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    static func attribute(_ report: [String: Any], _ name: String, config: String = "current") -> [String: Any]? {
        let imports = report["imports"] as? [[String: Any]] ?? []
        let chosen = imports.first { $0["config"] as? String == config }
        return (chosen?["attributes"] as? [[String: Any]])?.first { $0["attribute"] as? String == name }
    }

    static var options: ServiceHarness.Options {
        var options = ServiceHarness.Options()
        options.management = true
        return options
    }

    @Test("each rule explained: newest with both sides changed (source later, then app later), source, store; hashes never shown")
    func rules() async throws {
        try await ServiceHarness.run(Self.options) { harness, _ in
            let now = Date()
            _ = try await Self.scenario(harness, email: "explain.one@example.com", appWrite: now.addingTimeInterval(-120), sourceWrite: now.addingTimeInterval(-60))
            let report = try await Self.explain(harness, "email=explain.one@example.com")
            let name = try #require(Self.attribute(report, "display_name"))
            #expect(name["rule"] as? String == "newest" && name["changed"] as? String == "both")
            #expect(name["stored"] as? String == "Ada (app)" && name["source"] as? String == "Ada (Airtable)" && name["last_imported"] as? String == "Ada")
            #expect(name["next"] as? String == "Ada (Airtable)")
            #expect((name["reason"] as? String)?.contains("the source's change is later") == true)
            let role = try #require(Self.attribute(report, "role"))
            #expect(role["rule"] as? String == "source" && role["next"] as? String == "admin" && role["changed"] as? String == "source")
            let hash = try #require(Self.attribute(report, "password_hash"))
            #expect(hash["rule"] as? String == "store" && hash["stored"] as? String == "present" && hash["next"] as? String == "present")
            let text = String(decoding: try JSONSerialization.data(withJSONObject: report), as: UTF8.self)
            #expect(!text.contains(AuthFixtures.passwordHash) && !text.contains("$2b$"), "a hash is only present or absent")
            let login = try #require(report["login"] as? [String: Any])
            #expect(login["path"] as? String == "store_hit" && login["allowed"] as? Bool == true && login["password"] as? String == "present")

            // The same, with the app's write later than Airtable's: the stored value stays.
            _ = try await Self.scenario(harness, email: "explain.two@example.com", appWrite: now.addingTimeInterval(-30), sourceWrite: now.addingTimeInterval(-90))
            let later = try #require(Self.attribute(try await Self.explain(harness, "email=explain.two@example.com"), "display_name"))
            #expect(later["changed"] as? String == "both" && later["next"] as? String == "Ada (app)")
            #expect((later["reason"] as? String)?.contains("the app's change is later") == true)
        }
    }

    @Test("a dry run under a changed rule shows both answers; the store is not written")
    func dryRun() async throws {
        try await ServiceHarness.run(Self.options) { harness, _ in
            let now = Date()
            let (user, _) = try await Self.scenario(harness, email: "explain.dry@example.com", appWrite: now.addingTimeInterval(-30), sourceWrite: now.addingTimeInterval(-90))
            var changed = PrecedencePolicy()
            changed.attributeRules["display_name"] = .source
            let explainer = Explainer(pipeline: harness.pipeline, alternatives: [
                .init(name: "new.yaml", precedence: changed, softDelete: harness.pipeline.config.softDelete),
            ])
            let report = try await explainer.explain(.email("explain.dry@example.com"))
            let current = try #require(report.imports.first { $0.config == "current" }?.attributes.first { $0.attribute == "display_name" })
            let proposed = try #require(report.imports.first { $0.config == "new.yaml" }?.attributes.first { $0.attribute == "display_name" })
            #expect(current.rule == "newest" && current.next == "Ada (app)")
            #expect(proposed.rule == "source" && proposed.next == "Ada (Airtable)" && proposed.reason.contains("rule source"))
            #expect(report.text.contains("next import from airtable (new.yaml config)"))
            let after = try await harness.pipeline.store.user(id: user.id)
            #expect(after?.displayName == "Ada (app)", "explaining writes nothing")
        }
    }

    @Test("a soft-deleted user: the login is refused and the next import's restore is explained")
    func softDeleted() async throws {
        try await ServiceHarness.run(Self.options) { harness, _ in
            let now = Date()
            let (_, recordID) = try await Self.scenario(harness, email: "explain.gone@example.com", appWrite: now.addingTimeInterval(-30), sourceWrite: now.addingTimeInterval(-10))
            _ = try await harness.pipeline.store.delete(source: "airtable", recordID: recordID, occurredAt: now.addingTimeInterval(-5))
            let before = try #require(try await Self.explain(harness, "record_id=\(recordID)")["imports"] as? [[String: Any]])
            #expect(before.first?["outcome"] as? String == "stale", "Airtable's change predates the delete")
            harness.sim.update(base: ServiceHarness.base, table: "Users", id: recordID, fields: ["Name": "Ada again"], lastModifiedTime: Date())
            let report = try await Self.explain(harness, "record_id=\(recordID)")
            #expect((report["user"] as? [String: Any])?["deleted_at"] is String)
            let login = try #require(report["login"] as? [String: Any])
            #expect(login["path"] as? String == "store_hit" && login["allowed"] as? Bool == false)
            #expect((login["reason"] as? String)?.contains("soft-deleted") == true)
            let imports = try #require(report["imports"] as? [[String: Any]])
            #expect(imports.contains { ($0["reason"] as? String)?.contains("restore_on_update is on") == true })
        }
    }

    @Test("an unknown email after a failed login is in the negative cache; an open circuit is shown as the 503 it causes")
    func negativeCacheAndCircuit() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let login = try await client.execute(
                uri: "/api/auth/login", method: .post, headers: [.contentType: "application/json"],
                body: AuthFixtures.json(["email": "nobody.here@example.com", "password": "whatever-it-is"]))
            #expect(login.status == .unauthorized)
            let unknown = try #require(try await Self.explain(harness, "email=nobody.here@example.com&offline=true")["login"] as? [String: Any])
            #expect(unknown["path"] as? String == "read_through" && unknown["negative_cached"] as? Bool == true && unknown["allowed"] as? Bool == false)
            let other = try #require(try await Self.explain(harness, "email=somebody.else@example.com")["login"] as? [String: Any])
            #expect(other["negative_cached"] as? Bool == false && other["allowed"] as? Bool == false)
            #expect((other["sources"] as? [[String: Any]])?.first?["circuit"] as? String == "closed")
            #expect((other["reason"] as? String)?.contains("no source has the email") == true)

            // Only in Airtable: a sign-in would provision it; the next import inserts it.
            harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: ["Email": "only.airtable@example.com", "Name": "Only"])
            let onlyAirtable = try await Self.explain(harness, "email=only.airtable@example.com")
            let reads = try #require(onlyAirtable["login"] as? [String: Any])
            #expect(reads["path"] as? String == "read_through" && reads["allowed"] as? Bool == true && reads["would_answer"] as? String == "airtable")
            #expect((onlyAirtable["imports"] as? [[String: Any]])?.first?["outcome"] as? String == "insert")

            // Airtable answers 429: the circuit opens for its 30 s.
            harness.sim.setFault(.status429, count: 1)
            let limited = try await client.execute(
                uri: "/api/auth/login", method: .post, headers: [.contentType: "application/json"],
                body: AuthFixtures.json(["email": "limited.one@example.com", "password": "whatever-it-is"]))
            #expect(limited.status == .serviceUnavailable)
            let report = try await Self.explain(harness, "email=limited.two@example.com&offline=true")
            let state = try #require(report["login"] as? [String: Any])
            #expect(state["allowed"] as? Bool == false && (state["reason"] as? String)?.contains("circuit is open") == true)
            let sources = try #require(state["sources"] as? [[String: Any]])
            #expect(sources.first?["circuit"] as? String == "open" && (sources.first?["retry_after_seconds"] as? Int ?? 0) > 0)
        }
    }

    @Test("the explain route is on the management port only")
    func notPublic() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let public_ = try await client.execute(uri: "/admin/users/explain?email=a@example.com", method: .get)
            #expect(public_.status == .notFound)
            let admin = HarnessClient(baseURL: try #require(harness.managementURL))
            #expect(try await admin.execute(uri: "/admin/users/explain?email=a@example.com&offline=true", method: .get).status == .ok)
            #expect(try await admin.execute(uri: "/admin/users/explain", method: .get).status == .badRequest)
        }
    }
}

/// The `provisiond explain` command of this build, against the harness's
/// PostgreSQL and airtable-sim.
@Suite("provisiond explain")
struct ExplainCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ClusterHarness.provisiondBinary)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("a dry run of a changed rule prints both configs' next import; --json is the route's JSON")
    func dryRun() async throws {
        try await ServiceHarness.run(ExplainTests.options) { harness, _ in
            let now = Date()
            _ = try await ExplainTests.scenario(harness, email: "cli.dry@example.com", appWrite: now.addingTimeInterval(-30), sourceWrite: now.addingTimeInterval(-90))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("explain-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let current = ServiceHarness.configYAML(databaseURL: harness.databaseURL, simURL: harness.simURL, options: ServiceHarness.Options())
            var changed = ServiceHarness.Options()
            changed.extraYAML = "precedence:\n  default: newest\n  attributes:\n    display_name: source\n    role: source\n    password_hash: store\n"
            let proposed = ServiceHarness.configYAML(databaseURL: harness.databaseURL, simURL: harness.simURL, options: changed)
            let currentFile = directory.appendingPathComponent("current.yaml").path, newFile = directory.appendingPathComponent("new.yaml").path
            try current.write(toFile: currentFile, atomically: true, encoding: .utf8)
            try proposed.write(toFile: newFile, atomically: true, encoding: .utf8)

            let text = try Self.run(["explain", "--config", newFile, "--current", currentFile, "--email", "cli.dry@example.com"])
            #expect(text.status == 0)
            #expect(text.output.contains("next import from airtable (\(newFile) config): update"))
            #expect(text.output.contains("next import from airtable (\(currentFile) config)"))
            #expect(text.output.contains("display_name [source] stored 'Ada (app)', source 'Ada (Airtable)'"))
            #expect(text.output.contains("display_name [newest] stored 'Ada (app)', source 'Ada (Airtable)'"))
            #expect(text.output.contains("login now: store_hit, allowed"))
            #expect(!text.output.contains("$2b$"), "hashes only as present or absent")

            let json = try Self.run(["explain", "--config", currentFile, "--email", "cli.dry@example.com", "--json", "--offline"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
            #expect((object["sources"] as? [[String: Any]])?.first?["lookup"] as? String == "skipped")
            #expect((object["user"] as? [String: Any])?["values"] as? [String: String] != nil)
            #expect(try Self.run(["explain", "--config", currentFile]).status != 0, "one of --email, --user-id, --record-id is required")
        }
    }
}
