import Foundation
import Provisioning
import ProvisioningMail
import Testing

/// A test-only credential kind whose entry holds a `mailer:` section, so the
/// mailer factories decode through the real config loader (file:line:column).
struct MailProbeCredential: CredentialKindFactory {
    let kind = "mail_probe"
    let sampleConfig = "- kind: mail_probe\n  mailer: {kind: file, directory: ./mail}\n"
    func decode(_ section: ConfigSection, registry: KindRegistry) -> MailerDeclaration? {
        section.mailer(registry: registry)
    }
}

enum MailerConfig {
    static func registry() throws -> KindRegistry {
        var registry = KindRegistry()
        try registry.register(provider: MemoryProviderFactory())
        try registry.register(credential: MailProbeCredential())
        try registry.register(mailer: SMTPMailerFactory())
        try registry.register(mailer: FileMailerFactory())
        return registry
    }

    /// The mailer declared by `lines` (the `mailer:` mapping's keys), or the problems.
    static func load(_ lines: [String]) throws -> Result<MailerDeclaration, ConfigErrors> {
        let yaml = """
            version: 1
            providers:
              - name: app_db
                kind: memory
            credentials:
              - kind: mail_probe
                mailer:
            \(lines.map { "      " + $0 }.joined(separator: "\n"))
            """
        do {
            let config = try ConfigLoader(registry: registry(), environment: [:]).load(yaml: yaml, file: "mail.yaml")
            let declaration = try #require(config.credentials.first?.settings as? MailerDeclaration)
            return .success(declaration)
        } catch let errors as ConfigErrors {
            return .failure(errors)
        }
    }

    static func problems(_ lines: [String]) throws -> [ConfigProblem] {
        guard case .failure(let errors) = try load(lines) else { return [] }
        return errors.problems
    }
}

@Suite("Mailer settings from config")
struct MailerConfigTests {
    @Test("smtp defaults: 127.0.0.1:587, STARTTLS, no AUTH, 10 s")
    func smtpDefaults() throws {
        let declaration = try MailerConfig.load(["kind: smtp", "from: \"Example App <no-reply@example.com>\""]).get()
        let settings = try #require(declaration.settings as? SMTPSettings)
        #expect(declaration.kind == "smtp")
        #expect(settings == SMTPSettings(host: "127.0.0.1", port: 587, tls: .starttls, from: "Example App <no-reply@example.com>", timeoutMilliseconds: 10_000))
    }

    @Test("smtp: every key read; empty username and password mean no AUTH")
    func smtpAllKeys() throws {
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString).pem").path
        try Data("not checked here".utf8).write(to: URL(fileURLWithPath: caFile))
        defer { try? FileManager.default.removeItem(atPath: caFile) }
        let declaration = try MailerConfig.load([
            "kind: smtp", "host: mail.example.com", "port: 465", "tls: implicit", "username: mailer", "password: s3cret",
            "from: a@example.com", "timeout_ms: 2500", "ca_file: \(caFile)",
        ]).get()
        #expect(declaration.settings as? SMTPSettings == SMTPSettings(
            host: "mail.example.com", port: 465, tls: .implicit, username: "mailer", password: "s3cret", from: "a@example.com",
            timeoutMilliseconds: 2500, caFile: caFile))
        let anonymous = try MailerConfig.load(["kind: smtp", "username: ''", "password: ''", "from: a@example.com"]).get()
        #expect((anonymous.settings as? SMTPSettings)?.username == nil)
    }

    @Test("mailer problems, reported at the key with file:line:column", arguments: [
        (["kind: smtp", "host: mail.example.com", "tls: none", "from: a@example.com"], "credentials[0].mailer.tls", "loopback"),
        (["kind: smtp", "host: 127.example.com", "tls: none", "from: a@example.com"], "credentials[0].mailer.tls", "loopback"),
        (["kind: smtp", "tls: ssl", "from: a@example.com"], "credentials[0].mailer.tls", "expected one of starttls, implicit, none"),
        (["kind: smtp", "tls: starttls"], "credentials[0].mailer", "missing required key 'from'"),
        (["kind: smtp", "from: no address here"], "credentials[0].mailer.from", "expected an address"),
        (["kind: smtp", "port: 70000", "from: a@example.com"], "credentials[0].mailer.port", "between 1 and 65535"),
        (["kind: smtp", "username: mailer", "from: a@example.com"], "credentials[0].mailer.username", "both"),
        (["kind: smtp", "ca_file: /nonexistent/ca.pem", "from: a@example.com"], "credentials[0].mailer.ca_file", "cannot read"),
        (["kind: smtp", "from: a@example.com", "colour: blue"], "credentials[0].mailer.colour", "unknown key"),
        (["kind: file", "from: a@example.com"], "credentials[0].mailer", "missing required key 'directory'"),
        (["kind: carrier_pigeon"], "credentials[0].mailer.kind", "unknown mailer kind 'carrier_pigeon'"),
    ] as [([String], String, String)])
    func problems(_ lines: [String], _ path: String, _ message: String) throws {
        let problems = try MailerConfig.problems(lines)
        let problem = try #require(problems.first { $0.path == path }, "\(problems.map(\.description))")
        #expect(problem.message.contains(message), "\(problem)")
        #expect(problem.file == "mail.yaml" && problem.line >= 6)
    }

    @Test("tls: none is fine for a loopback host", arguments: ["127.0.0.1", "127.1.2.3", "localhost", "::1"])
    func loopbackWithoutTLS(_ host: String) throws {
        let declaration = try MailerConfig.load(["kind: smtp", "host: '\(host)'", "tls: none", "from: a@example.com"]).get()
        #expect((declaration.settings as? SMTPSettings)?.tls == SMTPSettings.TLS.none)
    }

    @Test("file: directory required, from defaults to provisiond <no-reply@localhost>")
    func fileSettings() throws {
        let declaration = try MailerConfig.load(["kind: file", "directory: ./mail"]).get()
        #expect(declaration.settings as? FileMailerSettings == FileMailerSettings(directory: "./mail", from: "provisiond <no-reply@localhost>"))
    }

    @Test("every sample decodes", arguments: [SMTPMailerFactory().sampleConfig, FileMailerFactory().sampleConfig])
    func samples(_ sample: String) throws {
        let lines = sample.split(separator: "\n").dropFirst().map { String($0.dropFirst(2)) }
        #expect(sample.hasPrefix("mailer:\n"))
        _ = try MailerConfig.load(lines).get()
    }
}
