import Foundation
import HTTPTypes
import Testing

/// Kind `email_code` over HTTP on real PostgreSQL and airtable-sim, with
/// mailer `file` (CONTRACT.md §7).
@Suite("Sign-in by emailed code or link")
struct EmailCodeTests {
    static func options(_ mailbox: Mailbox, extra: [String] = [], auth: [String] = ["min_failure_ms: 0"]) -> ServiceHarness.Options {
        var options = AuthFixtures.options(auth: auth)
        options.extraYAML += "\n" + mailbox.credentialsYAML(extra: extra)
        return options
    }

    static func start(_ client: HarnessClient, _ email: String) async throws -> HarnessResponse {
        try await client.execute(uri: "/api/auth/code/start", method: .post, headers: [.contentType: "application/json"],
                                 body: AuthFixtures.json(["email": email]))
    }

    static func verify(_ client: HarnessClient, _ body: [String: Any]) async throws -> HarnessResponse {
        try await client.execute(uri: "/api/auth/code/verify", method: .post, headers: [.contentType: "application/json"],
                                 body: AuthFixtures.json(body))
    }

    /// The claims of an access token (not verified: the service's tests do that).
    static func claims(_ response: HarnessResponse) throws -> [String: Any] {
        let token = try #require(try AuthFixtures.object(response)["access_token"] as? String)
        var payload = String(token.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let data = try #require(Data(base64Encoded: payload))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("an Airtable-only user without a password hash signs in by code on the first try and gets a row; the code works once")
    func codeSignIn() async throws {
        let mailbox = try Mailbox.make()
        let log = LogCapture()
        var options = Self.options(mailbox)
        options.logHandler = log.handler
        try await ServiceHarness.run(options) { harness, client in
            AuthFixtures.airtableUser(harness, email: "nohash@example.com", hash: "")
            #expect(try await AuthFixtures.login(client, "nohash@example.com").status == .unauthorized)
            let started = try await Self.start(client, "NoHash@Example.com")
            #expect(started.status == .accepted)
            #expect(String(buffer: started.body) == #"{"status":"sent"}"#)
            let code = try await mailbox.code(to: "nohash@example.com")
            #expect(try await AuthFixtures.rowCount(harness, email: "nohash@example.com") == 1)
            let signedIn = try await Self.verify(client, ["email": "nohash@example.com", "code": code])
            #expect(signedIn.status == .ok)
            let claims = try Self.claims(signedIn)
            #expect(claims["amr"] as? [String] == ["otp"])
            #expect(claims["auth_time"] as? Int != nil)
            #expect(try await Self.verify(client, ["email": "nohash@example.com", "code": code]).status == .unauthorized)
            let text = log.lines.joined(separator: "\n")
            #expect(!text.contains(code), "a code reached the log")
            #expect(log.events("auth.code_sent").count == 1)
        }
    }

    @Test("over a real SMTP server, plain and with STARTTLS + AUTH: the code in the received mail signs in", arguments: ["plain", "starttls"])
    func overSMTP(_ mode: String) async throws {
        let env = ProcessInfo.processInfo.environment
        guard let directory = env["SMTP_MAIL_DIR"], let plainPort = env["SMTP_PLAIN_PORT"], let tlsPort = env["SMTP_STARTTLS_PORT"],
              let user = env["SMTP_USER"], let password = env["SMTP_PASSWORD"], let caFile = env["SMTP_CA_FILE"] else {
            Issue.record("the SMTP servers are not running: run the tests with scripts/test.sh")
            return
        }
        let mailer = mode == "plain"
            ? ["port: \(plainPort)", "tls: none"]
            : ["port: \(tlsPort)", "tls: starttls", "username: \(user)", "password: \(password)", "ca_file: \(caFile)"]
        var options = AuthFixtures.options(auth: ["min_failure_ms: 0"])
        options.extraYAML += "\n" + (["credentials:", "  - kind: email_code", "    subject: Your code for the test app", "    mailer:",
                                       "      kind: smtp", "      host: 127.0.0.1", "      from: \"Test App <no-reply@example.com>\""]
                                      + mailer.map { "      " + $0 }).joined(separator: "\n")
        let email = "smtp-\(mode)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try await ServiceHarness.run(options) { harness, client in
            AuthFixtures.airtableUser(harness, email: email, hash: "")
            #expect(try await Self.start(client, email).status == .accepted)
            let code = try await Mailbox(directory: URL(fileURLWithPath: directory)).code(to: email)
            #expect(try await Self.verify(client, ["email": email, "code": code]).status == .ok)
            #expect(harness.counter("auth_code_mails_sent") == 1)
        }
    }

    @Test("a mail that cannot be sent is logged and counted; the caller still gets the same 202")
    func sendFailure() async throws {
        let log = LogCapture()
        var options = AuthFixtures.options(auth: ["min_failure_ms: 0"])
        // Port 9 on loopback: nothing listens, the connection is refused.
        options.extraYAML += "\ncredentials:\n  - kind: email_code\n    mailer: {kind: smtp, host: 127.0.0.1, port: 9, tls: none, from: a@example.com}"
        options.logHandler = log.handler
        try await ServiceHarness.run(options) { harness, client in
            _ = try await AuthFixtures.storeUser(harness, email: "unlucky@example.com")
            let response = try await Self.start(client, "unlucky@example.com")
            #expect(response.status == .accepted && String(buffer: response.body) == #"{"status":"sent"}"#)
            let deadline = ContinuousClock.now + .seconds(60)
            while harness.counter("auth_code_mails_failed") < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(harness.counter("auth_code_mails_failed") == 1)
            let failure = try #require(log.events("auth.code_mail_failed").first)
            #expect(failure["email"] as? String == "u***@example.com")
        }
    }

    @Test("the magic link signs in once; a link of a superseded code does not")
    func linkSignIn() async throws {
        let mailbox = try Mailbox.make()
        let log = LogCapture()
        var options = Self.options(mailbox, extra: ["link_url: https://app.example.com/sign-in?token={token}"])
        options.logHandler = log.handler
        try await ServiceHarness.run(options) { harness, client in
            AuthFixtures.airtableUser(harness, email: "link@example.com", hash: "")
            #expect(try await Self.start(client, "link@example.com").status == .accepted)
            let first = try await mailbox.linkToken(to: "link@example.com")
            #expect(try await Self.start(client, "link@example.com").status == .accepted)
            let second = try await mailbox.linkToken(to: "link@example.com", mails: 2)
            #expect(first != second && first.count >= 22)
            #expect(try await Self.verify(client, ["token": first]).status == .unauthorized)
            #expect(try await Self.verify(client, ["token": second]).status == .ok)
            #expect(try await Self.verify(client, ["token": second]).status == .unauthorized)
            let text = log.lines.joined(separator: "\n")
            #expect(!text.contains(first) && !text.contains(second), "a link token reached the log")
        }
    }

    @Test("wrong, superseded and over-limit codes give 401; after max_attempts wrong codes the right one is void too")
    func refusedCodes() async throws {
        let mailbox = try Mailbox.make()
        try await ServiceHarness.run(Self.options(mailbox, extra: ["max_attempts: 2"])) { harness, client in
            _ = try await AuthFixtures.storeUser(harness, email: "stored@example.com")
            #expect(try await Self.start(client, "stored@example.com").status == .accepted)
            let old = try await mailbox.code(to: "stored@example.com")
            #expect(try await Self.start(client, "stored@example.com").status == .accepted)
            let new = try await mailbox.code(to: "stored@example.com", mails: 2)
            if old != new {
                #expect(try await Self.verify(client, ["email": "stored@example.com", "code": old]).status == .unauthorized, "superseded")
            }
            let wrong = new == "00000000" ? "11111111" : "00000000"
            #expect(try await Self.verify(client, ["email": "stored@example.com", "code": wrong]).status == .unauthorized)
            #expect(try await Self.verify(client, ["email": "stored@example.com", "code": wrong]).status == .unauthorized)
            #expect(try await Self.verify(client, ["email": "stored@example.com", "code": new]).status == .unauthorized, "void after 2 wrong codes")
            #expect(try await Self.verify(client, ["email": "stored@example.com"]).status == .badRequest)
        }
    }

    @Test("an expired code gives 401")
    func expiredCode() async throws {
        let mailbox = try Mailbox.make()
        try await ServiceHarness.run(Self.options(mailbox, extra: ["code_ttl_s: 1"])) { harness, client in
            _ = try await AuthFixtures.storeUser(harness, email: "late@example.com")
            #expect(try await Self.start(client, "late@example.com").status == .accepted)
            let code = try await mailbox.code(to: "late@example.com")
            // The TTL is server time: past it, the code is refused (not a wait for an event).
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(try await Self.verify(client, ["email": "late@example.com", "code": code]).status == .unauthorized)
        }
    }

    @Test("start answers store, Airtable-only, deleted, unknown and over-budget emails with the same body; only the first two get a code")
    func sameAnswerForEveryone() async throws {
        let mailbox = try Mailbox.make()
        try await ServiceHarness.run(Self.options(mailbox, extra: ["max_codes_per_window: 1"])) { harness, client in
            _ = try await AuthFixtures.storeUser(harness, email: "store@example.com")
            AuthFixtures.airtableUser(harness, email: "airtable@example.com", hash: "")
            _ = try await harness.pipeline.store.upsert(.init(source: "airtable", recordID: "recGone00000000001", values: ["email": "gone@example.com"], modifiedAt: Date()))
            _ = try await harness.pipeline.store.delete(source: "airtable", recordID: "recGone00000000001", occurredAt: Date())
            _ = try await AuthFixtures.storeUser(harness, email: "budget@example.com")
            #expect(try await Self.start(client, "budget@example.com").status == .accepted)
            var bodies: [String] = []
            for email in ["store@example.com", "airtable@example.com", "gone@example.com", "nobody@example.com", "budget@example.com"] {
                let response = try await Self.start(client, email)
                #expect(response.status == .accepted, "\(email)")
                bodies.append(String(buffer: response.body))
            }
            #expect(Set(bodies) == [#"{"status":"sent"}"#])
            _ = try await mailbox.code(to: "store@example.com")
            _ = try await mailbox.code(to: "airtable@example.com")
            _ = try await mailbox.code(to: "budget@example.com")
            // Every mail that went out was counted; none went to the others.
            #expect(harness.counter("auth_code_mails_sent") == 3)
            for email in ["gone@example.com", "nobody@example.com"] { #expect(try mailbox.texts(to: email).isEmpty, "\(email)") }
            #expect(try mailbox.texts(to: "budget@example.com").count == 1)
        }
    }

    @Test("with Airtable at 150 ms, start takes the same time for store, Airtable-only, deleted, unknown and over-budget emails")
    func startTimesAlike() async throws {
        let mailbox = try Mailbox.make()
        // No min_failure_ms: the default floor (largest source timeout + one bcrypt verify) holds every start.
        var options = Self.options(mailbox, extra: ["max_codes_per_window: 1"], auth: ["max_failed_logins_per_address: 1000"])
        options.simLatencyMs = 150
        options.timeoutMilliseconds = 600
        try await ServiceHarness.run(options) { harness, client in
            _ = try await AuthFixtures.storeUser(harness, email: "budget@example.com")
            #expect(try await Self.start(client, "budget@example.com").status == .accepted)
            var times: [String: [Duration]] = [:]
            for index in 0..<5 {
                _ = try await AuthFixtures.storeUser(harness, email: "store\(index)@example.com")
                AuthFixtures.airtableUser(harness, email: "remote\(index)@example.com", hash: "")
                _ = try await harness.pipeline.store.upsert(.init(
                    source: "airtable", recordID: "recGone0000000000\(index)", values: ["email": "gone\(index)@example.com"], modifiedAt: Date()))
                _ = try await harness.pipeline.store.delete(source: "airtable", recordID: "recGone0000000000\(index)", occurredAt: Date())
                for (kind, email) in [("store", "store\(index)"), ("airtable", "remote\(index)"), ("deleted", "gone\(index)"),
                                      ("unknown", "nobody\(index)"), ("over budget", "budget")] {
                    let started = ContinuousClock.now
                    let response = try await Self.start(client, "\(email)@example.com")
                    times[kind, default: []].append(ContinuousClock.now - started)
                    #expect(response.status == .accepted && String(buffer: response.body) == #"{"status":"sent"}"#, "\(kind)")
                }
            }
            let medians = times.mapValues(FailureFloorTests.median)
            let low = try #require(medians.values.min()), high = try #require(medians.values.max())
            #expect(high - low <= low / 10, "medians \(medians)")
            #expect(low >= .milliseconds(600), "the floor, not the work, sets the time")
        }
    }

    @Test("a password set after a code sign-in works for login; changing it later needs the current one")
    func setPasswordAfterCode() async throws {
        let mailbox = try Mailbox.make()
        try await ServiceHarness.run(Self.options(mailbox)) { harness, client in
            AuthFixtures.airtableUser(harness, email: "newpw@example.com", hash: "")
            #expect(try await Self.start(client, "newpw@example.com").status == .accepted)
            let code = try await mailbox.code(to: "newpw@example.com")
            let signedIn = try await Self.verify(client, ["email": "newpw@example.com", "code": code])
            let access = try #require(try AuthFixtures.object(signedIn)["access_token"] as? String)
            let bearer: HTTPFields = [.authorization: "Bearer \(access)", .contentType: "application/json"]
            let short = try await client.execute(uri: "/api/auth/password", method: .post, headers: bearer, body: AuthFixtures.json(["password": "short"]))
            #expect(short.status == .badRequest)
            let set = try await client.execute(uri: "/api/auth/password", method: .post, headers: bearer, body: AuthFixtures.json(["password": "first-password"]))
            #expect(set.status == .noContent)
            let login = try await AuthFixtures.login(client, "newpw@example.com", "first-password")
            #expect(login.status == .ok)
            #expect(try Self.claims(login)["amr"] as? [String] == ["pwd"])
            // A password token must show the current password to change it.
            let passwordAccess = try #require(try AuthFixtures.object(login)["access_token"] as? String)
            let passwordBearer: HTTPFields = [.authorization: "Bearer \(passwordAccess)", .contentType: "application/json"]
            let missing = try await client.execute(uri: "/api/auth/password", method: .post, headers: passwordBearer, body: AuthFixtures.json(["password": "second-password"]))
            #expect(missing.status == .unauthorized)
            let wrong = try await client.execute(uri: "/api/auth/password", method: .post, headers: passwordBearer,
                                                 body: AuthFixtures.json(["password": "second-password", "current_password": "nope-nope"]))
            #expect(wrong.status == .unauthorized)
            let changed = try await client.execute(uri: "/api/auth/password", method: .post, headers: passwordBearer,
                                                   body: AuthFixtures.json(["password": "second-password", "current_password": "first-password"]))
            #expect(changed.status == .noContent)
            #expect(try await AuthFixtures.login(client, "newpw@example.com", "second-password").status == .ok)
            #expect(try await AuthFixtures.login(client, "newpw@example.com", "first-password").status == .unauthorized)
        }
    }

    @Test("a credential kind not declared has no routes")
    func undeclaredKindsHaveNoRoutes() async throws {
        try await ServiceHarness.run(AuthFixtures.options) { (_, client) async throws in
            #expect(try await Self.start(client, "x@example.com").status == .notFound)
            #expect(try await client.execute(uri: "/api/auth/oidc", method: .post, headers: [.contentType: "application/json"],
                                             body: AuthFixtures.json(["id_token": "x"])).status == .notFound)
        }
        let mailbox = try Mailbox.make()
        var codeOnly = AuthFixtures.options(auth: ["min_failure_ms: 0"])
        codeOnly.extraYAML += "\n" + mailbox.credentialsYAML().replacingOccurrences(of: "  - kind: password\n", with: "")
        try await ServiceHarness.run(codeOnly) { (_, client) async throws in
            #expect(try await AuthFixtures.login(client, "x@example.com").status == .notFound)
            #expect(try await Self.start(client, "x@example.com").status == .accepted)
        }
    }
}
