import Crypto
import Foundation
import Logging
import NIOHTTP1
import Provisioning
import ProvisioningHTTPSource
import Synchronization

/// Airtable's own webhook on the provider's table (CONTRACT §9, AIRTABLE.md
/// "Native webhooks"), as a `PushFeed`: its requests spend the base's budget
/// at background priority, like sync.
final class AirtableWebhookFeed: PushFeed {
    let client: AirtableClient
    let webhook: AirtableWebhookSettings
    /// Resolved from the schema route at first need; again before each creation.
    private let resolved = Mutex<AirtableTableIDs?>(nil)

    init(client: AirtableClient, webhook: AirtableWebhookSettings) {
        self.client = client
        self.webhook = webhook
    }

    let eventPrefix = "airtable_webhook"
    var schedule: PushSchedule { webhook.schedule }
    private var settings: AirtableSettings { client.settings }
    private var webhooksPath: String { "\(client.apiRoot)/bases/\(HTTPSourceTransport.encode(settings.base))/webhooks" }
    /// Webhook calls are not on a sign-in's path: they may take longer than a lookup.
    private var timeout: Duration { max(.milliseconds(settings.timeoutMilliseconds), .seconds(10)) }

    // MARK: PushFeed

    func subscriptions() async throws(PushFeedError) -> [RemoteSubscription] {
        let ids = try await tableIDs()
        let body = try await call(.GET, webhooksPath)
        let listed = ((body as? [String: Any])?["webhooks"] as? [[String: Any]]) ?? []
        return listed.filter { $0["notificationUrl"] as? String == webhook.notificationURL }.compactMap { hook in
            guard let id = hook["id"] as? String else { return nil }
            // A specification that no longer fits the config (a field mapped
            // since) counts as disabled: it is made anew, with a reconciliation.
            let enabled = (hook["isHookEnabled"] as? Bool ?? false) && ids.matches(hook["specification"])
            return RemoteSubscription(
                id: id, isEnabled: enabled, expiresAt: (hook["expirationTime"] as? String).flatMap(AirtableTime.parse))
        }
    }

    func create(source: String) async throws(PushFeedError) -> SourceSubscription {
        let ids = try await tableIDs(fresh: true)
        let request: [String: Any] = ["notificationUrl": webhook.notificationURL, "specification": ids.specification]
        let body = try await call(.POST, webhooksPath, json: request) as? [String: Any]
        guard let id = body?["id"] as? String, let secret = body?["macSecretBase64"] as? String else {
            throw .unavailable("webhook creation answered without id or macSecretBase64")
        }
        return SourceSubscription(
            source: source, subscriptionID: id, secret: secret, cursor: 1,
            expiresAt: (body?["expirationTime"] as? String).flatMap(AirtableTime.parse))
    }

    func delete(_ subscriptionID: String) async throws(PushFeedError) {
        _ = try await call(.DELETE, "\(webhooksPath)/\(HTTPSourceTransport.encode(subscriptionID))")
    }

    func refresh(_ subscriptionID: String) async throws(PushFeedError) -> Date? {
        let body = try await call(.POST, "\(webhooksPath)/\(HTTPSourceTransport.encode(subscriptionID))/refresh")
        return ((body as? [String: Any])?["expirationTime"] as? String).flatMap(AirtableTime.parse)
    }

    func changes(_ subscriptionID: String, from cursor: Int) async throws(PushFeedError) -> PushedPage {
        let ids = try await tableIDs()
        let url = "\(webhooksPath)/\(HTTPSourceTransport.encode(subscriptionID))/payloads"
            + HTTPSourceTransport.query([("cursor", String(cursor)), ("limit", "50")])
        guard let payloads = AirtablePayloads(try await call(.GET, url), ids: ids, from: cursor) else {
            throw .unavailable("payloads answered without a payloads list")
        }
        for code in payloads.errors {
            client.logger.warning("airtable_webhook.error_payload", metadata: ["event": "airtable_webhook.error_payload", "code": .string(code)])
        }
        var records: [SourceRecord] = []
        var invalid = 0
        for record in payloads.records {
            let changedAt = payloads.changedAt[record.id] ?? Date()
            let mapped: SourceRecord
            do {
                mapped = try record.sourceRecord(settings: settings, fetchedAt: changedAt)
            } catch {
                client.logInvalid(error)
                invalid += 1
                continue
            }
            if mapped.email != nil {
                records.append(mapped)
            } else if let completed = try await complete(record.id) {
                records.append(completed)
            }
        }
        return PushedPage(
            records: records, destroyed: payloads.destroyed, invalid: invalid, next: payloads.next, mightHaveMore: payloads.mightHaveMore)
    }

    func isAuthentic(body: [UInt8], headers: HeaderLookup, secret: String) -> Bool {
        guard let header = headers["X-Airtable-Content-MAC"], let key = Data(base64Encoded: secret) else { return false }
        let prefix = "hmac-sha256="
        guard header.lowercased().hasPrefix(prefix) else { return false }
        let expected = Hex.encode(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key)))
        return ConstantTime.equals(Array(header.dropFirst(prefix.count).lowercased().utf8), Array(expected.utf8))
    }

    // MARK: Support

    /// A change whose payload lacks the email (not among the included
    /// cells): one record GET. Nil when the record is gone since.
    private func complete(_ recordID: String) async throws(PushFeedError) -> SourceRecord? {
        switch await client.findByRecordID(recordID, priority: .background) {
        case .found(let record): return record
        case .notFound: return nil
        case .unavailable: throw .unavailable("record \(recordID) could not be read")
        }
    }

    private func tableIDs(fresh: Bool = false) async throws(PushFeedError) -> AirtableTableIDs {
        if !fresh, let ids = resolved.withLock({ $0 }) { return ids }
        let body = try await call(.GET, "\(client.apiRoot)/meta/bases/\(HTTPSourceTransport.encode(settings.base))/tables")
        let ids = try AirtableTableIDs.resolve(body, settings: settings).get()
        resolved.withLock { $0 = ids }
        return ids
    }

    /// One request through the base's budget; a 404 is `.gone`.
    private func call(_ method: HTTPMethod, _ url: String, json: [String: Any]? = nil) async throws(PushFeedError) -> Any {
        let data = json.flatMap { try? JSONSerialization.data(withJSONObject: $0) }
        switch await client.transport.send(method, url, json: data, priority: .background, timeout: timeout) {
        case .ok(let body): return body.value
        case .notFound: throw .gone
        case .rateLimited: throw .unavailable("rate limited")
        case .failed(let status, let detail): throw .unavailable("\(method) answered \(status): \(detail)")
        case .unreachable(let reason): throw .unavailable(reason)
        }
    }
}
