import AirtableSim
import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import NIOCore
import Provisioning
import Testing

/// Fixtures shared by the auth tests.
enum AuthFixtures {
    /// bcrypt (cost 10) of `password`, as the demo seed uses.
    static let password = "demo-password"
    static let passwordHash = "$2b$10$OwX9Ifgd2sFcUxmsLTXFn.oRph9yHb4AX7uJ091loGsiEeDhXTac6"
    /// A fixed Ed25519 key (base64 of 32 bytes), so tests can mint tokens with it.
    static let signingKey = "q1hL0wO2yM0cJb3pX6oQ5z8vR4sT7uY9wE1rA2dF3gH="

    static var authYAML: String {
        options(auth: ["max_failed_logins_per_email: 3", "max_failed_logins_per_address: 1000", "min_failure_ms: 0"]).extraYAML
    }

    /// The harness with an `auth:` section of the test key, cost 10 and `lines`
    /// (each a `key: value` line of that section).
    static func options(auth lines: [String]) -> ServiceHarness.Options {
        var options = ServiceHarness.Options()
        options.extraYAML = (["auth:", "  bcrypt_cost: 10", "  signing_key: \(signingKey)"] + lines.map { "  " + $0 }).joined(separator: "\n")
        return options
    }

    /// The harness with the auth settings above.
    static var options: ServiceHarness.Options {
        var options = ServiceHarness.Options()
        options.extraYAML = authYAML
        return options
    }

    /// Put a user in the simulator ("Airtable") only; returns its record id.
    @discardableResult
    static func airtableUser(
        _ harness: ServiceHarness, email: String, name: String = "Ada", role: String = "admin", hash: String = passwordHash
    ) -> String {
        harness.sim.insert(
            base: ServiceHarness.base, table: "Users",
            fields: ["Email": .string(email), "Name": .string(name), "Role": .string(role), "Password Hash": .string(hash)])
    }

    /// Put a user in the store only (no record id).
    @discardableResult
    static func storeUser(_ harness: ServiceHarness, email: String) async throws -> StoredUser {
        try await harness.pipeline.store.upsert(SourceRecord(
            source: "airtable", recordID: nil, values: ["email": email, "display_name": "Stored", "password_hash": passwordHash], modifiedAt: FixtureTime.beforeAll)).user
    }

    static func json(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(data: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }

    static func login(_ client: HarnessClient, _ email: String, _ password: String = password) async throws -> HarnessResponse {
        try await client.execute(
            uri: "/api/auth/login", method: .post, headers: [.contentType: "application/json"],
            body: json(["email": email, "password": password]))
    }

    /// A login over a real connection (for concurrent callers); returns the status code.
    static func loginOverHTTP(baseURL: String, email: String, password: String = password) async throws -> UInt {
        var request = HTTPClientRequest(url: baseURL + "/api/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(json(["email": email, "password": password]))
        let response = try await HTTPClient.shared.execute(request, timeout: HarnessClient.timeout)
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }

    /// One concurrent login per email over real connections; the status codes.
    static func concurrentLogins(baseURL: String, emails: [String]) async throws -> [UInt] {
        try await withThrowingTaskGroup(of: UInt.self) { group in
            for email in emails { group.addTask { try await loginOverHTTP(baseURL: baseURL, email: email) } }
            return try await group.reduce(into: [UInt]()) { $0.append($1) }
        }
    }

    static func object(_ response: HarnessResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    static func rowCount(_ harness: ServiceHarness, email: String) async throws -> Int {
        try await harness.pipeline.store.user(canonicalEmail: email) == nil ? 0 : 1
    }
}
