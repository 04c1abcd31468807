import AirtableSim
import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import Provisioning
import ProvisioningProcessKit
import ProvisioningService
import ProvisioningTestKit
import Testing

/// The service harness with the airtable provider's `webhook:` pointing at
/// the service itself, on a table whose fields are declared (as a real
/// Airtable table's are, so that the schema route names them all).
enum WebhookHarness {
    static func options(webhook: Bool = true, checkSeconds: Int = 600, tap: EventTap? = nil) throws -> ServiceHarness.Options {
        var options = ServiceHarness.Options()
        options.port = try LocalProcess.freePort()
        if webhook { options.airtableYAML = yaml(notificationURL: notificationURL(port: options.port), checkSeconds: checkSeconds) }
        if let tap { options.logHandler = { _ in tap } }
        let rate = options.requestsPerSecond
        options.simSetup = { sim in
            sim.setRateLimit(perSecond: rate)
            sim.addTable(base: ServiceHarness.base, spec: SimTableSpec(name: "Users", fields: ["Email", "Name", "Role", "Password Hash"]))
        }
        return options
    }

    static func yaml(notificationURL: String, checkSeconds: Int = 600) -> String {
        """
            webhook:
              notification_url: \(notificationURL)
              check_interval_s: \(checkSeconds)
        """
    }

    static func notificationURL(port: Int) -> String { "http://127.0.0.1:\(port)/api/sync/sources/airtable/notify" }
    static func notificationURL(_ harness: ServiceHarness) -> String { harness.baseURL + "/api/sync/sources/airtable/notify" }

    /// Run `body` once the service has made its webhook.
    static func run(
        checkSeconds: Int = 600, _ body: @Sendable (ServiceHarness, HarnessClient, EventTap) async throws -> Void
    ) async throws {
        let tap = EventTap()
        try await ServiceHarness.run(try options(checkSeconds: checkSeconds, tap: tap)) { harness, client in
            try await eventually { try await subscription(harness) != nil }
            try await body(harness, client, tap)
        }
    }

    static func fields(_ email: String, _ name: String) -> [String: SimValue] {
        ["Email": .string(email), "Name": .string(name), "Role": "member"]
    }

    static func subscription(_ harness: ServiceHarness) async throws -> SourceSubscription? {
        try await harness.pipeline.sourceSubscriptions?.subscription(source: "airtable")
    }

    /// The stored user of `recordID` once `condition` holds (polled; recorded as an issue after 30 s).
    static func stored(
        _ harness: ServiceHarness, _ recordID: String, until condition: @escaping (StoredUser?) -> Bool
    ) async throws -> StoredUser? {
        var user: StoredUser?
        try await eventually {
            user = try await harness.pipeline.store.user(source: "airtable", recordID: recordID)
            return condition(user)
        }
        return user
    }

    /// A counter's value with one label (0 when absent).
    static func metric(_ harness: ServiceHarness, _ name: String, _ label: String, _ value: String) -> Double {
        for line in harness.metrics.emitToString().split(separator: "\n")
        where line.hasPrefix(name + "{") && line.contains("\(label)=\"\(value)\"") {
            return Double(line.split(separator: " ").last ?? "0") ?? 0
        }
        return 0
    }

    // MARK: Pings

    static func ping(webhookID: String) -> [UInt8] {
        Array(#"{"base":{"id":"\#(ServiceHarness.base)"},"webhook":{"id":"\#(webhookID)"},"timestamp":"2026-12-05T10:00:00.000Z"}"#.utf8)
    }

    /// `hmac-sha256=<hex>` keyed by the base64-decoded secret, as Airtable signs.
    static func mac(_ body: [UInt8], secret: String) -> String {
        let key = SymmetricKey(data: Data(base64Encoded: secret) ?? Data())
        return "hmac-sha256=" + Hex.encode(HMAC<SHA256>.authenticationCode(for: body, using: key))
    }

    static func notify(_ client: HarnessClient, _ body: [UInt8], mac: String) async throws -> HarnessResponse {
        try await client.execute(
            uri: "/api/sync/sources/airtable/notify", method: .post,
            headers: [HTTPField.Name("X-Airtable-Content-MAC")!: mac, .contentType: "application/json"], body: ByteBuffer(bytes: body))
    }

    // MARK: The simulator's webhooks

    /// The ids of the base's webhooks, as Airtable lists them.
    static func listed(_ harness: ServiceHarness) async throws -> [String] {
        let body = try await simCall(harness, .GET, "/v0/bases/\(ServiceHarness.base)/webhooks")
        return ((body["webhooks"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
    }

    /// A webhook to the service's URL whose secret nobody kept.
    static func createOrphan(_ harness: ServiceHarness) async throws -> String {
        let spec: [String: Any] = ["options": ["filters": ["dataTypes": ["tableData"]]]]
        let body = try await simCall(
            harness, .POST, "/v0/bases/\(ServiceHarness.base)/webhooks",
            json: ["notificationUrl": notificationURL(harness), "specification": spec])
        return try #require(body["id"] as? String)
    }

    static func deleteAtSimulator(_ harness: ServiceHarness, _ id: String) async throws {
        _ = try await simCall(harness, .DELETE, "/v0/bases/\(ServiceHarness.base)/webhooks/\(id)")
    }

    private static func simCall(_ harness: ServiceHarness, _ method: HTTPMethod, _ path: String, json: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: harness.simURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(ServiceHarness.token)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    // MARK: Another instance

    /// A second pipeline (another instance, or this one restarted) on the
    /// harness's database and simulator, with the webhook configured.
    static func withInstance(
        _ harness: ServiceHarness, notificationURL: String, tap: EventTap, _ body: (BuiltPipeline) async throws -> Void
    ) async throws {
        var options = ServiceHarness.Options()
        options.airtableYAML = yaml(notificationURL: notificationURL)
        try await SyncFixtures.withSecondInstance(harness, options: options, logHandler: tap, body)
    }

    /// A `PushSync` of `pipeline`'s feed over `subscriptions`.
    static func pushSync(_ pipeline: BuiltPipeline, subscriptions: any SourceSubscriptionStore, tap: EventTap) -> PushSync {
        PushSync(
            source: "airtable", feed: pipeline.pushFeeds[0].feed, subscriptions: subscriptions, state: pipeline.syncState!,
            store: pipeline.store, reconcile: nil, logger: Logger(label: "reader", factory: { _ in tap }), metrics: pipeline.metrics)
    }
}
