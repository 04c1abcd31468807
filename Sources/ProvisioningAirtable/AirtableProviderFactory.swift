import Foundation
import Provisioning

/// Kind `airtable`: a read-through source over Airtable's Web API.
public struct AirtableProviderFactory: ProviderFactory {
    public typealias Settings = AirtableSettings

    /// Budgets (token bucket, circuit) shared by every provider on one base.
    let budgets = SourceBudgets()

    public init() {}

    public let kind = "airtable"
    public let roles: ProviderRoles = .source
    public let sampleConfig = """
        - name: airtable
          kind: airtable          # a read-through source
          api_url: https://api.airtable.com
          token: patXXXXXXXXXXXXXX.0123456789abcdef   # a personal access token with data.records:read
          base: appXXXXXXXXXXXXXX
          table: Users            # name or tbl… id
          timeout_ms: 250         # per request, token wait included
          requests_per_second: 5  # Airtable allows 5 per base, shared by every client of the base
          failure_threshold: 5    # consecutive failures that open the circuit
          open_s: 5               # how long it stays open (a 429 always waits 30 s)
          fields:                 # attribute -> Airtable field name
            email: Email
            display_name: Name
            role: Role
            password_hash: Password Hash
            modified_at: Last Modified   # a "Last modified time" field: stale checks, incremental sync
          # webhook:              # Airtable's own webhook: changes pushed, no script (token scopes
          #                       #   webhook:manage, schema.bases:read)
          #   notification_url: https://auth.example.com/api/sync/sources/airtable/notify
          #   check_interval_s: 600        # look at it (re-create when gone) and read what is pending
          #   refresh_interval_s: 86400    # Airtable expires it 7 days after the last refresh
        """

    public func decode(_ section: ConfigSection) -> AirtableSettings? {
        let apiURL = section.string("api_url", default: "https://api.airtable.com")
        if URL(string: apiURL)?.host == nil { section.problem(at: "api_url", "expected an http(s) URL, got '\(apiURL)'") }
        let token = section.requiredString("token")
        if let token, token.isEmpty { section.problem(at: "token", "must not be empty") }
        let base = section.requiredString("base")
        let table = section.string("table", default: "Users")
        let timeout = section.int("timeout_ms", default: 250, range: 1...60_000)
        let rate = section.int("requests_per_second", default: 5, range: 1...1000)
        let threshold = section.int("failure_threshold", default: 5, range: 1...1000)
        let openSeconds = section.int("open_s", default: 5, range: 1...3600)
        var fields: [String: String] = [:]
        if let mapping = section.stringMap("fields") {
            for (attribute, field, node) in mapping {
                if !Attribute.isValidName(attribute) {
                    section.problem(at: node, path: "\(section.path).fields.\(attribute)", "attribute name '\(attribute)' must be lower-case letters, digits and '_'")
                }
                if field.isEmpty || field.contains("}") {
                    section.problem(at: node, path: "\(section.path).fields.\(attribute)", "field name must be non-empty and contain no '}'")
                }
                fields[attribute] = field
            }
        }
        if fields[Attribute.email] == nil { fields[Attribute.email] = "Email" }
        // Problems in `webhook:` are reported on the section; an empty URL turns it off.
        let webhook = section.section("webhook").flatMap(AirtableWebhookSettings.decode)
        guard let token, let base else { return nil }
        return AirtableSettings(
            apiURL: apiURL, token: token, base: base, table: table, timeoutMilliseconds: timeout,
            requestsPerSecond: rate, fields: fields, failureThreshold: threshold, openSeconds: openSeconds, webhook: webhook)
    }

    public func mappedAttributes(_ settings: AirtableSettings) -> [String] {
        settings.fields.keys.filter { $0 != Attribute.modifiedAt && !Attribute.core.contains($0) }.sorted()
    }

    public func fieldMapping(_ settings: AirtableSettings) -> [String: String] {
        settings.fields
    }

    public func make(_ settings: AirtableSettings, context: ProviderContext) async throws -> ProviderInstance {
        let client = AirtableClient(settings: settings, budget: budgets.budget(for: settings, shared: context.coordination), logger: context.logger, metrics: context.metrics)
        let feed = settings.webhook.map { AirtableWebhookFeed(client: client, webhook: $0) }
        return ProviderInstance(source: client, listable: client, pushFeed: feed)
    }
}
