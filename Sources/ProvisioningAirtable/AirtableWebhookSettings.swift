import Foundation
import Provisioning

/// The `webhook:` key of an `airtable` provider (CONTRACT §9): Airtable
/// pings `notification_url` after each change of the table.
public struct AirtableWebhookSettings: Sendable, Equatable {
    /// Where Airtable sends its pings: this service's
    /// `/api/sync/sources/{provider name}/notify`, as Airtable reaches it.
    public var notificationURL: String
    /// How often the webhook is looked at (re-created when gone) and pending payloads read.
    public var checkIntervalSeconds: Int
    /// How often it is refreshed (Airtable expires it 7 days after the last refresh).
    public var refreshIntervalSeconds: Int

    public init(notificationURL: String, checkIntervalSeconds: Int = 600, refreshIntervalSeconds: Int = 86_400) {
        self.notificationURL = notificationURL
        self.checkIntervalSeconds = checkIntervalSeconds
        self.refreshIntervalSeconds = refreshIntervalSeconds
    }

    /// Airtable's life of a webhook made with a token.
    public static let lifetime: Duration = .seconds(7 * 24 * 3600)

    var schedule: PushSchedule {
        PushSchedule(
            checkEvery: .seconds(checkIntervalSeconds), refreshEvery: .seconds(refreshIntervalSeconds), lifetime: Self.lifetime)
    }

    /// Nil when the section has problems (reported) or `notification_url`
    /// is empty: `${AIRTABLE_WEBHOOK_URL:-}` turns the webhook off where the
    /// variable is unset.
    static func decode(_ section: ConfigSection) -> AirtableWebhookSettings? {
        var url = section.requiredString("notification_url")
        if url?.isEmpty == true { url = nil }
        else if let given = url, URL(string: given)?.host == nil || !(given.hasPrefix("https://") || given.hasPrefix("http://")) {
            section.problem(at: "notification_url", "expected an http(s) URL, got '\(given)'")
        }
        let check = section.int("check_interval_s", default: 600, range: 1...86_400)
        // Refreshing less often than every 6 days would let it expire.
        let refresh = section.int("refresh_interval_s", default: 86_400, range: 60...518_400)
        section.rejectUnknownKeys()
        return url.map { AirtableWebhookSettings(notificationURL: $0, checkIntervalSeconds: check, refreshIntervalSeconds: refresh) }
    }
}
