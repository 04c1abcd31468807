import AirtableSim
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Provisioning
import ProvisioningService

/// Issue 16's rows: sign-in by emailed code (start, verify) beside a
/// password login, over HTTP on one service (mailer `file`), with
/// `min_failure_ms: 0` and with the default floor (which start waits for too).
struct CodeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "code", abstract: "Emailed-code sign-in beside password login (issue 16).")

    @Option(help: "Database URL (an empty database; tables are created).") var databaseURL: String
    @Option(help: "Sign-ins per row.") var signIns: Int = 200

    func run() async throws {
        let table = try await BenchService.withSimulator { simURL, http in
            var table = Table(header: ["measure", "p50 ms", "p95 ms", "n"])
            for (label, floor) in [("min_failure_ms: 0", Int?.some(0)), ("default floor", Int?.none)] {
                try await measure(simURL: simURL, http: http, floor: floor, label: label, into: &table)
            }
            return table
        }
        print(table.render())
    }

    private func measure(simURL: String, http: HTTPClient, floor: Int?, label: String, into table: inout Table) async throws {
        let mail = FileManager.default.temporaryDirectory.appendingPathComponent("provision-bench-mail-\(UUID().uuidString)")
        let credentials = """
            credentials:
              - kind: password
              - kind: email_code
                max_codes_per_window: 1000
                mailer: {kind: file, directory: \(mail.path)}
            """
        let service = try await BenchService.start(
            databaseURL: databaseURL, simURL: simURL, base: SimConfiguration.defaultBase,
            options: .init(requestsPerSecond: 1000, negativeCacheSeconds: 0, minFailureMs: floor, extraYAML: credentials))
        defer { try? FileManager.default.removeItem(at: mail) }
        let client = LoadClient(http: http, baseURL: service.baseURL)
        let email = try await service.warmStoreUser("code", client: client)
        var logins = Samples(), starts = Samples(), verifies = Samples()
        for index in 0..<signIns {
            guard await timed(&logins, { await client.login(email) }).status == 200 else { throw BenchError("a password login failed") }
            let start = try JSONSerialization.data(withJSONObject: ["email": email])
            guard await timed(&starts, { await client.send(.POST, "/api/auth/code/start", body: Array(start)) }).status == 202 else {
                throw BenchError("a code start failed")
            }
            let code = try await Self.code(in: mail, count: index + 1)
            let verify = try JSONSerialization.data(withJSONObject: ["email": email, "code": code])
            guard await timed(&verifies, { await client.send(.POST, "/api/auth/code/verify", body: Array(verify)) }).status == 200 else {
                throw BenchError("a code verify failed")
            }
        }
        await service.stop()
        for (name, samples) in [("password login over HTTP", logins), ("code start over HTTP (mail sent after the 202)", starts),
                                ("code verify over HTTP", verifies)] {
            table.rows.append(["\(name), \(label)", String(format: "%.3f", samples.p50), String(format: "%.3f", samples.p95), String(samples.count)])
        }
    }

    /// The code of the `count`-th mail in `directory` (mail leaves after the 202: wait for it).
    static func code(in directory: URL, count: Int) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(30)
        let pattern = try NSRegularExpression(pattern: #"code is (\d{6,8})"#)
        while ContinuousClock.now < deadline {
            let files = ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
                .filter { $0.pathExtension == "eml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
            if files.count >= count, let text = try? String(contentsOf: files[count - 1], encoding: .utf8),
               let match = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
               let range = Range(match.range(at: 1), in: text) {
                return String(text[range])
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw BenchError("mail \(count) did not arrive within 30 s")
    }
}
