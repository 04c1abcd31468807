import Foundation
import Provisioning
import ProvisioningMail
import Testing

/// The real SMTP servers started by scripts/test.sh (scripts/lib/smtp.sh).
enum SMTPServers {
    static func env(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw SMTPTestError("\(name) is not set: run the tests with scripts/test.sh, which starts the SMTP servers")
        }
        return value
    }

    static func port(_ name: String) throws -> Int {
        guard let port = Int(try env(name)) else { throw SMTPTestError("\(name) is not a port") }
        return port
    }

    /// The raw message and envelope recipients of the mail whose Subject carries `marker`.
    static func received(marker: String) throws -> (raw: String, recipients: [String], port: Int)? {
        let directory = URL(fileURLWithPath: try env("SMTP_MAIL_DIR"))
        for file in try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) where file.pathExtension == "eml" {
            let raw = try String(contentsOf: file, encoding: .utf8)
            guard raw.contains(marker) else { continue }
            let rcpt = try String(contentsOf: file.deletingPathExtension().appendingPathExtension("rcpt"), encoding: .utf8)
            let port = Int(file.lastPathComponent.split(separator: "-")[0]) ?? 0
            return (raw, rcpt.split(separator: "\n").map(String.init), port)
        }
        return nil
    }

    static func message(_ marker: String, to: String = "ada@example.com") -> MailMessage {
        MailMessage(to: "Ada <\(to)>", subject: "Sign-in \(marker)", text: "Your code is 123456.\n\nThanks.", html: "<p>Your code is <b>123456</b>.</p>")
    }
}

struct SMTPTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite("Mailer smtp against real SMTP servers (aiosmtpd)")
struct SMTPMailerTests {
    static func settings(port: String, tls: SMTPSettings.TLS, auth: Bool, caFile: Bool = true, password: String? = nil) throws -> SMTPSettings {
        SMTPSettings(
            host: try SMTPServers.env("SMTP_HOST"), port: try SMTPServers.port(port), tls: tls,
            username: auth ? try SMTPServers.env("SMTP_USER") : nil, password: auth ? try password ?? SMTPServers.env("SMTP_PASSWORD") : nil,
            from: "Demo App <no-reply@example.com>", timeoutMilliseconds: 10_000,
            caFile: caFile ? try SMTPServers.env("SMTP_CA_FILE") : nil)
    }

    @Test("plain: the server receives both parts, the subject and the envelope recipient")
    func plain() async throws {
        let marker = UUID().uuidString
        try await SMTPMailer(settings: Self.settings(port: "SMTP_PLAIN_PORT", tls: .none, auth: false)).send(SMTPServers.message(marker))
        let mail = try #require(try SMTPServers.received(marker: marker))
        #expect(mail.recipients == ["ada@example.com"])
        #expect(mail.port == (try SMTPServers.port("SMTP_PLAIN_PORT")))
        #expect(mail.raw.contains("From: Demo App <no-reply@example.com>"))
        #expect(mail.raw.contains("To: Ada <ada@example.com>"))
        #expect(mail.raw.contains("\r\nSubject: Sign-in \(marker)\r\n"))
        #expect(mail.raw.contains("Content-Type: text/plain; charset=utf-8") && mail.raw.contains("Content-Type: text/html; charset=utf-8"))
        #expect(mail.raw.contains("Your code is 123456."))
        #expect(mail.raw.contains("<p>Your code is <b>123456</b>.</p>"))
    }

    @Test("STARTTLS with AUTH and the test CA: received; a wrong password or an untrusted certificate fails")
    func starttls() async throws {
        let marker = UUID().uuidString
        try await SMTPMailer(settings: Self.settings(port: "SMTP_STARTTLS_PORT", tls: .starttls, auth: true)).send(SMTPServers.message(marker))
        let mail = try #require(try SMTPServers.received(marker: marker))
        #expect(mail.port == (try SMTPServers.port("SMTP_STARTTLS_PORT")))
        // A wrong password: refused by the server (535), and the error says
        // so without the password or the message.
        let wrong = try Self.settings(port: "SMTP_STARTTLS_PORT", tls: .starttls, auth: true, password: "not-the-password")
        let refused = await #expect(throws: MailError.self) { try await SMTPMailer(settings: wrong).send(SMTPServers.message("wrong-\(marker)")) }
        let refusal = "\(refused.map { "\($0)" } ?? "")"
        #expect(refusal.contains("Login denied") && refusal.contains("535"), "\(refusal)")
        #expect(!refusal.contains("not-the-password") && !refusal.contains("123456") && !refusal.contains(marker))
        // Without the test CA the self-signed chain is not trusted.
        let untrusted = try Self.settings(port: "SMTP_STARTTLS_PORT", tls: .starttls, auth: true, caFile: false)
        let distrust = await #expect(throws: MailError.self) { try await SMTPMailer(settings: untrusted).send(SMTPServers.message("untrusted-\(marker)")) }
        #expect("\(distrust.map { "\($0)" } ?? "")".contains("certificate"))
        #expect(try SMTPServers.received(marker: "wrong-\(marker)")?.raw == nil)
        #expect(try SMTPServers.received(marker: "untrusted-\(marker)")?.raw == nil)
    }

    @Test("a server that requires STARTTLS refuses a mailer without TLS (credentials never sent in clear)")
    func starttlsRequired() async throws {
        let marker = UUID().uuidString
        let plainToTLS = try Self.settings(port: "SMTP_STARTTLS_PORT", tls: .none, auth: true)
        let error = await #expect(throws: MailError.self) { try await SMTPMailer(settings: plainToTLS).send(SMTPServers.message(marker)) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("530"))
        #expect(try SMTPServers.received(marker: marker)?.raw == nil)
    }

    @Test("implicit TLS with AUTH: received")
    func implicit() async throws {
        let marker = UUID().uuidString
        try await SMTPMailer(settings: Self.settings(port: "SMTP_IMPLICIT_PORT", tls: .implicit, auth: true)).send(SMTPServers.message(marker))
        let mail = try #require(try SMTPServers.received(marker: marker))
        #expect(mail.port == (try SMTPServers.port("SMTP_IMPLICIT_PORT")))
    }

    @Test("a recipient or subject with a line break is refused before any connection")
    func headerInjection() async throws {
        // Port 9 (discard) is never contacted: the message is refused first.
        let mailer = SMTPMailer(settings: SMTPSettings(host: "127.0.0.1", port: 9, tls: .none, from: "a@example.com", timeoutMilliseconds: 500))
        var message = SMTPServers.message("x")
        message.to = "ada@example.com\r\nBcc: eve@example.com"
        await #expect(throws: MailError.invalidHeader("To")) { try await mailer.send(message) }
        message = SMTPServers.message("x\r\nBcc: eve@example.com")
        await #expect(throws: MailError.invalidHeader("Subject")) { try await mailer.send(message) }
    }
}
