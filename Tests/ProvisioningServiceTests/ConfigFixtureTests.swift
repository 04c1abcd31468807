import Foundation
import Provisioning
import ProvisioningAirtable
import ProvisioningService
import Testing

/// Each broken config under Tests/ConfigFixtures gives exactly the problems
/// in its `.expected` file, with the built-in kinds registered.
@Suite("check-config on the shipped fixtures")
struct ConfigFixtureTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ConfigFixtures")

    static var fixtures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test("every fixture has an expectation", arguments: ["invalid-yaml.yaml", "unknown-names.yaml", "unset-variables.yaml", "wrong-types.yaml", "airtable-webhook.yaml"])
    func fixtureExists(_ name: String) {
        #expect(Self.fixtures.contains(name))
    }

    @Test("a broken fixture gives exactly the expected file:line:column problems", arguments: fixtures)
    func brokenFixture(_ name: String) throws {
        let yaml = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        let expectedFile = Self.directory.appendingPathComponent(name.replacingOccurrences(of: ".yaml", with: ".expected"))
        let expected = try String(contentsOf: expectedFile, encoding: .utf8).split(separator: "\n").map(String.init)
        let loader = ConfigLoader(registry: BuiltinKinds.registry(), environment: [:])
        do {
            _ = try loader.load(yaml: yaml, file: name)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.problems.map(\.description) == expected)
        }
    }

    @Test("the shipped providers.yaml is valid once its variables are set")
    func shippedConfigIsValid() throws {
        let file = Self.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("providers.yaml")
        let environment = [
            "AIRTABLE_TOKEN": "patX.0123456789", "AIRTABLE_BASE_ID": "appXXXXXXXXXXXXXX",
            "WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "WEBHOOK_TOKEN": "a-long-enough-shared-token",
        ]
        let config = try ConfigLoader(registry: BuiltinKinds.registry(), environment: environment).load(file: file.path)
        #expect(config.resolution.order == ["app_db", "airtable"])
        #expect(config.webhook.schemes.count == 2)
        let airtable = try #require(config.providers.first { $0.name == "airtable" }?.settings as? AirtableSettings)
        #expect(airtable.webhook == nil, "AIRTABLE_WEBHOOK_URL unset: no webhook")
        var withWebhook = environment
        withWebhook["AIRTABLE_WEBHOOK_URL"] = "https://auth.example.com/api/sync/sources/airtable/notify"
        let pushed = try ConfigLoader(registry: BuiltinKinds.registry(), environment: withWebhook).load(file: file.path)
        let settings = try #require(pushed.providers.first { $0.name == "airtable" }?.settings as? AirtableSettings)
        #expect(settings.webhook == AirtableWebhookSettings(
            notificationURL: "https://auth.example.com/api/sync/sources/airtable/notify", checkIntervalSeconds: 600, refreshIntervalSeconds: 86_400))
    }
}

@Suite("Every registered kind's sample config")
struct KindSampleTests {
    static func indented(_ sample: String) -> String {
        sample.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }

    @Test("the samples of every provider and scheme kind decode without a problem")
    func samplesDecode() throws {
        let registry = BuiltinKinds.registry()
        let stores = registry.providers.values.filter { $0.roles.contains(.store) }.sorted { $0.kind < $1.kind }
        let sources = registry.providers.values.filter { !$0.roles.contains(.store) }.sorted { $0.kind < $1.kind }
        #expect(!stores.isEmpty && !sources.isEmpty)
        for store in stores {
            // Each store kind first, then every source-only kind, then every scheme.
            let yaml = """
                version: 1
                providers:
                \(Self.indented(store.sampleConfig))
                \(sources.map { Self.indented($0.sampleConfig) }.joined(separator: "\n"))
                webhook:
                  schemes:
                \(registry.schemes.values.sorted { $0.kind < $1.kind }.map { Self.indented(Self.indented($0.sampleConfig)) }.joined(separator: "\n"))
                credentials:
                \(registry.credentials.values.sorted { $0.kind < $1.kind }.map { Self.indented($0.sampleConfig) }.joined(separator: "\n"))
                """
            do {
                let config = try ConfigLoader(registry: registry, environment: [:]).load(yaml: yaml, file: "sample.yaml")
                #expect(config.providers.count == 1 + sources.count)
                #expect(config.webhook.schemes.count == registry.schemes.count)
                #expect(config.credentials.count == registry.credentials.count)
            } catch {
                Issue.record("samples with store \(store.kind): \(error.description)")
            }
        }
    }

    @Test("the sample of every mailer kind decodes as the mailer of email_code")
    func mailerSamplesDecode() throws {
        let registry = BuiltinKinds.registry()
        #expect(!registry.mailers.isEmpty)
        for mailer in registry.mailers.values {
            let yaml = """
                version: 1
                providers:
                  - {name: app_db, kind: memory}
                credentials:
                  - kind: email_code
                \(Self.indented(Self.indented(mailer.sampleConfig)))
                """
            do {
                let config = try ConfigLoader(registry: registry, environment: [:]).load(yaml: yaml, file: "sample.yaml")
                #expect(config.credentials.map(\.kind) == ["email_code"], "\(mailer.kind)")
            } catch {
                Issue.record("mailer sample \(mailer.kind): \(error.description)")
            }
        }
    }

    @Test("smtp settings: tls none only for a loopback host, a known tls word, a from address, both or neither credentials", arguments: [
        ("host: mail.example.com\n      tls: none\n      from: a@example.com", "credentials[0].mailer.tls: tls: none is allowed only for a loopback host"),
        ("host: 127.0.0.1\n      tls: none\n      from: a@example.com", nil),
        ("tls: ssl\n      from: a@example.com", "credentials[0].mailer.tls: expected one of starttls, implicit, none"),
        ("tls: starttls", "credentials[0].mailer: missing required key 'from'"),
        ("username: mailer\n      from: a@example.com", "credentials[0].mailer.username: set both username and password, or neither"),
        ("from: a@example.com\n      colour: blue", "credentials[0].mailer.colour: unknown key 'colour'"),
    ] as [(String, String?)])
    func smtpSettings(_ lines: String, _ problem: String?) throws {
        let yaml = """
            version: 1
            providers:
              - {name: app_db, kind: memory}
            credentials:
              - kind: email_code
                mailer:
                  kind: smtp
                  \(lines)
            """
        do {
            _ = try ConfigLoader(registry: BuiltinKinds.registry(), environment: [:]).load(yaml: yaml, file: "smtp.yaml")
            #expect(problem == nil, "expected: \(problem ?? "")")
        } catch {
            let problem = try #require(problem, "unexpected: \(error.description)")
            #expect(error.description.contains(problem), "\(error.description)")
            #expect(error.description.contains("smtp.yaml:"))
        }
    }
}
