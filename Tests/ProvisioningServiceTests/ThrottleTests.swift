import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
@testable import ProvisioningService

/// CONTRACT.md §10: throttling per (email, address) pair, per email and per
/// address, reserved when an attempt starts.
@Suite("Sign-in throttling")
struct ThrottleTests {
    static func options(_ lines: String...) -> ServiceHarness.Options {
        AuthFixtures.options(auth: ["min_failure_ms: 0", #"trusted_proxies: ["127.0.0.1"]"#] + lines)
    }

    static func login(_ client: HarnessClient, _ email: String, _ password: String = AuthFixtures.password, from address: String) async throws -> HarnessResponse {
        try await client.execute(
            uri: "/api/auth/login", method: .post,
            headers: [.contentType: "application/json", HTTPField.Name("X-Forwarded-For")!: address],
            body: AuthFixtures.json(["email": email, "password": password]))
    }

    static func loginOverHTTP(_ baseURL: String, _ email: String, _ password: String, from address: String) async throws -> HTTPResponse.Status {
        var request = HTTPClientRequest(url: baseURL + "/api/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Forwarded-For", value: address)
        request.body = .bytes(AuthFixtures.json(["email": email, "password": password]))
        let response = try await HTTPClient.shared.execute(request, timeout: HarnessClient.timeout)
        _ = try await response.body.collect(upTo: 1 << 20)
        return HTTPResponse.Status(code: Int(response.status.code))
    }

    @Test("60 concurrent wrong-password logins for one email from one address get at most 5 × 401; another address still signs in")
    func pairReservedAtStart() async throws {
        try await ServiceHarness.run(Self.options()) { harness, client in
            try await AuthFixtures.storeUser(harness, email: "target@example.com")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                // Real connections: 60 requests truly in flight at once.
                for _ in 0..<60 {
                    group.addTask { try await Self.loginOverHTTP(harness.baseURL, "target@example.com", "wrong", from: "192.0.2.1") }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count <= 5)
            #expect(statuses.filter { $0 == .unauthorized }.count >= 1)
            #expect(statuses.allSatisfy { $0 == .unauthorized || $0 == .tooManyRequests })
            // The throttled pair stays throttled, even with the right password...
            #expect(try await Self.login(client, "target@example.com", from: "192.0.2.1").status == .tooManyRequests)
            // ...but the owner at another address is not locked out.
            #expect(try await Self.login(client, "target@example.com", from: "198.51.100.7").status == .ok)
        }
    }

    @Test("the per-email limit holds across addresses; the per-address limit across emails, 503s included")
    func emailAndAddressLimits() async throws {
        try await ServiceHarness.run(Self.options("max_failed_logins_per_email: 3", "max_failed_logins_per_address: 4")) { harness, client in
            try await AuthFixtures.storeUser(harness, email: "many@example.com")
            for index in 0..<3 {
                #expect(try await Self.login(client, "many@example.com", "wrong", from: "203.0.113.\(index)").status == .unauthorized)
            }
            #expect(try await Self.login(client, "many@example.com", from: "203.0.113.99").status == .tooManyRequests)

            // Airtable down: source-only emails get 503, which count toward the address.
            harness.sim.setFault(.status503, count: nil, fraction: 1.0)
            for index in 0..<4 {
                #expect(try await Self.login(client, "nobody\(index)@example.com", from: "2001:db8:1:2::\(index + 1)").status == .serviceUnavailable)
            }
            // Same /64, another email: throttled by address.
            #expect(try await Self.login(client, "fresh@example.com", from: "2001:db8:1:2:ffff::9").status == .tooManyRequests)
            // Another /64 is another client.
            #expect(try await Self.login(client, "fresh@example.com", from: "2001:db8:1:3::1").status == .serviceUnavailable)
        }
    }

    @Test("an email over 254 bytes is 400 before any throttle entry or lookup")
    func longEmail() async throws {
        try await ServiceHarness.run(Self.options("max_failed_logins_per_address: 2")) { harness, client in
            harness.sim.resetCounters()
            let long = String(repeating: "a", count: 250) + "@example.com"
            for _ in 0..<5 {
                let response = try await Self.login(client, long, from: "192.0.2.50")
                #expect(response.status == .badRequest)
                #expect(try AuthFixtures.object(response)["error"] as? String == "invalid_request")
            }
            #expect(harness.sim.counters().total == 0)
            try await AuthFixtures.storeUser(harness, email: "ok@example.com")
            #expect(try await Self.login(client, "ok@example.com", from: "192.0.2.50").status == .ok)
        }
    }

    @Test("a reservation is given back on success, kept on failure; keys are fixed-size digests; IPv6 is keyed by /64")
    func unit() async {
        let throttle = LoginThrottle(limits: .init(perPair: 2, perEmail: 100, perAddress: 100, windowSeconds: 60))
        for _ in 0..<10 {
            guard case .success(let reservation) = await throttle.reserve(email: "a@example.com", address: "192.0.2.1") else {
                Issue.record("refused while every attempt succeeded")
                return
            }
            throttle.settle(reservation, .succeeded)
        }
        for _ in 0..<2 {
            guard case .success(let reservation) = await throttle.reserve(email: "a@example.com", address: "192.0.2.1") else {
                Issue.record("refused below the limit")
                return
            }
            throttle.settle(reservation, .failed)
        }
        guard case .failure(let wait) = await throttle.reserve(email: "a@example.com", address: "192.0.2.1") else {
            Issue.record("a third failure was allowed")
            return
        }
        #expect(wait.seconds >= 1 && wait.seconds <= 60)
        // The window ends: allowed again.
        if case .failure = await throttle.reserve(email: "a@example.com", address: "192.0.2.1", now: { Date().addingTimeInterval(61) }) {
            Issue.record("still refused after the window")
        }
        #expect(LoginThrottle.network(of: "2001:db8:0:1::1") == LoginThrottle.network(of: "2001:0db8:0000:0001:ffff:ffff:ffff:ffff"))
        #expect(LoginThrottle.network(of: "2001:db8:0:1::1") != LoginThrottle.network(of: "2001:db8:0:2::1"))
        #expect(LoginThrottle.network(of: "192.0.2.1") == "192.0.2.1")
    }
}
