import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// The real SCIM server scripts/test.sh started (scim2-server): users are
/// made and changed through its own API, as a directory admin would.
enum SCIMServer {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "SCIM_URL is not set: run the tests through scripts/test.sh, which starts scim2-server" }
    }

    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["SCIM_URL"] else { throw NotConfigured() }
        return url
    }

    static func token() throws -> String {
        guard let token = ProcessInfo.processInfo.environment["SCIM_TOKEN"] else { throw NotConfigured() }
        return token
    }

    static let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

    /// The `directory` provider over it; `password_hash` comes from the
    /// enterprise extension's `employeeNumber` (a directory holding a hash
    /// somewhere is what password login needs; #16 brings logins without one).
    static func provider(name: String = "directory", baseURL: String? = nil) throws -> String {
        """
          - name: \(name)
            kind: scim
            base_url: \(try baseURL ?? url())
            token: \(try token())
            timeout_ms: 5000
            requests_per_second: 50
            fields:
              email: emails[primary eq true].value
              display_name: name.formatted
              role: title
              password_hash: \(enterprise):employeeNumber
        """
    }

    /// Create a user; returns its id.
    @discardableResult
    static func createUser(email: String, name: String, title: String = "member", hash: String = AuthFixtures.passwordHash) async throws -> String {
        let body: [String: Any] = [
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
            "userName": email, "name": ["formatted": name], "title": title, "active": true,
            "emails": [["value": email, "primary": true]],
            enterprise: ["employeeNumber": hash],
        ]
        let created = try await send("POST", "/Users", body)
        return try #require(created["id"] as? String)
    }

    /// Replace attributes of a user (PATCH, RFC 7644 §3.5.2).
    static func patch(_ id: String, _ path: String, _ value: Any) async throws {
        _ = try await send("PATCH", "/Users/\(id)", [
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [["op": "replace", "path": path, "value": value]],
        ])
    }

    @discardableResult
    static func send(_ method: String, _ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: try url() + path)
        request.method = .RAW(value: method)
        request.headers.add(name: "Authorization", value: "Bearer \(try token())")
        request.headers.add(name: "Content-Type", value: "application/scim+json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 20)
        #expect((200..<300).contains(response.status.code), "SCIM \(method) \(path): \(response.status)")
        guard data.readableBytes > 0 else { return [:] }
        return (try JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any]) ?? [:]
    }

    /// A unique address per test run (the server is shared by the suite).
    static func email(_ who: String) -> String {
        "\(who).\(UUID().uuidString.prefix(8).lowercased())@directory.example"
    }
}
