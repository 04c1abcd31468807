import Foundation
import Provisioning

/// The `airtable` provider section, decoded.
public struct AirtableSettings: Sendable {
    public var apiURL: String
    public var token: String
    public var base: String
    public var table: String
    public var timeoutMilliseconds: Int
    public var requestsPerSecond: Int
    /// Attribute name to Airtable field name; `modified_at` names the
    /// table's last-modified field.
    public var fields: [String: String]
    /// Consecutive failures that open the circuit.
    public var failureThreshold: Int
    /// How long the circuit stays open after failures (not 429s: those wait 30 s).
    public var openSeconds: Int
    /// Airtable's own webhook on the table; nil: none (changes arrive by sync and read-through).
    public var webhook: AirtableWebhookSettings?

    public init(
        apiURL: String = "https://api.airtable.com", token: String, base: String, table: String = "Users",
        timeoutMilliseconds: Int = 250, requestsPerSecond: Int = 5,
        fields: [String: String] = [Attribute.email: "Email"], failureThreshold: Int = 5, openSeconds: Int = 5,
        webhook: AirtableWebhookSettings? = nil
    ) {
        self.webhook = webhook
        self.apiURL = apiURL
        self.token = token
        self.base = base
        self.table = table
        self.timeoutMilliseconds = timeoutMilliseconds
        self.requestsPerSecond = requestsPerSecond
        self.fields = fields
        self.failureThreshold = failureThreshold
        self.openSeconds = openSeconds
    }

    /// The field holding the email.
    public var emailField: String { fields[Attribute.email] ?? "Email" }
    /// The attributes a record carries (the modified-time field excluded).
    public var attributeFields: [(attribute: String, field: String)] {
        fields.filter { $0.key != Attribute.modifiedAt }.map { ($0.key, $0.value) }.sorted { $0.attribute < $1.attribute }
    }
}
