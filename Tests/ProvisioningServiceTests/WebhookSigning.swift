import Crypto
import Foundation
import HTTPTypes
import ProvisioningSignatures

/// Standard Webhooks signatures and shared-token headers, computed the way a
/// sender would.
enum WebhookSigning {
    /// `v1,<base64 HMAC-SHA256>` over `"{id}.{timestamp}.{body}"`; the key is
    /// the base64 part of a `whsec_` secret.
    static func signature(secret: String, id: String, timestamp: Int, body: [UInt8]) -> String {
        (try? HMACSignatureScheme.sign(id: id, timestamp: timestamp, body: body, secret: secret)) ?? "v1,invalid-secret"
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }

    /// `webhook-id`, `webhook-timestamp`, `webhook-signature` for `body`.
    static func headers(
        id: String, body: [UInt8], secret: String = ServiceHarness.webhookSecret, timestamp: Int = WebhookSigning.now
    ) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("webhook-id")!] = id
        headers[HTTPField.Name("webhook-timestamp")!] = String(timestamp)
        headers[HTTPField.Name("webhook-signature")!] = signature(secret: secret, id: id, timestamp: timestamp, body: body)
        return headers
    }

    /// The shared-token header, with an optional `Idempotency-Key`.
    static func tokenHeaders(token: String = ServiceHarness.webhookToken, idempotencyKey: String? = nil) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("X-Webhook-Token")!] = token
        if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        return headers
    }

    /// A fresh `whsec_` secret.
    static func newSecret() -> String {
        "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }
}
