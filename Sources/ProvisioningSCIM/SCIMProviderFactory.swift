import Foundation
import Provisioning

/// Kind `scim`: a read-through and sync source over any SCIM 2.0 service
/// provider (RFC 7643/7644), by bearer token.
public struct SCIMProviderFactory: ProviderFactory {
    public typealias Settings = SCIMSettings

    /// Budgets (token bucket, circuit) shared by every provider on one service provider.
    let budgets = SourceBudgets()

    public init() {}

    public let kind = "scim"
    public let roles: ProviderRoles = .source
    public let sampleConfig = """
        - name: directory
          kind: scim                      # a SCIM 2.0 directory (Okta, Entra ID, any RFC 7644 service provider)
          base_url: https://scim.example.com/scim/v2   # the service provider's root (…/Users is below it)
          token: XXXXXXXXXXXXXXXX         # bearer token
          timeout_ms: 250                 # per request, token wait included
          requests_per_second: 10
          failure_threshold: 5            # consecutive failures that open the circuit
          open_s: 5                       # how long it stays open
          page_size: 100                  # `count` of a listing page
          fields:                         # attribute -> SCIM attribute path (RFC 7644 §3.10)
            email: emails[primary eq true].value   # falls back to the first email
            display_name: name.formatted
            role: title
            department: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department
            # modified_at is meta.lastModified unless mapped
        """

    public func decode(_ section: ConfigSection) -> SCIMSettings? {
        let baseURL = section.string("base_url", default: "http://127.0.0.1:8081")
        if !(baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://")) || URL(string: baseURL)?.host == nil {
            section.problem(at: "base_url", "expected an http(s) URL, got '\(baseURL)'")
        }
        let token = section.requiredString("token")
        if let token, token.isEmpty { section.problem(at: "token", "must not be empty") }
        let timeout = section.int("timeout_ms", default: 250, range: 1...60_000)
        let rate = section.int("requests_per_second", default: 10, range: 1...1000)
        let threshold = section.int("failure_threshold", default: 5, range: 1...1000)
        let openSeconds = section.int("open_s", default: 5, range: 1...3600)
        let pageSize = section.int("page_size", default: 100, range: 1...1000)
        var texts = SCIMSettings.defaultFields
        if let mapping = section.stringMap("fields") {
            for (attribute, path, node) in mapping {
                if !Attribute.isValidName(attribute) {
                    section.problem(at: node, path: "\(section.path).fields.\(attribute)", "attribute name '\(attribute)' must be lower-case letters, digits and '_'")
                }
                if SCIMPath(path) == nil {
                    section.problem(at: node, path: "\(section.path).fields.\(attribute)", "'\(path)' is not a SCIM attribute path (RFC 7644 §3.10)")
                }
                texts[attribute] = path
            }
        }
        guard let token else { return nil }
        return SCIMSettings(
            baseURL: baseURL, token: token, timeoutMilliseconds: timeout, requestsPerSecond: rate, failureThreshold: threshold,
            openSeconds: openSeconds, fields: texts.compactMapValues(SCIMPath.init), pageSize: pageSize)
    }

    public func mappedAttributes(_ settings: SCIMSettings) -> [String] {
        settings.fields.keys.filter { $0 != Attribute.modifiedAt && !Attribute.core.contains($0) }.sorted()
    }

    public func make(_ settings: SCIMSettings, context: ProviderContext) async throws -> ProviderInstance {
        let budget = budgets.budget(for: settings.budgetKey, shared: context.coordination) {
            SourceBudget(
                requestsPerSecond: settings.requestsPerSecond, failureThreshold: settings.failureThreshold, openSeconds: settings.openSeconds,
                shared: context.coordination, key: "scim|\(settings.budgetKey)")
        }
        let client = SCIMClient(settings: settings, budget: budget, logger: context.logger, metrics: context.metrics)
        return ProviderInstance(source: client, listable: client)
    }
}
