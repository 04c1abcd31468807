import Foundation
import Hummingbird
import Provisioning

/// `200 {"status": "processed" | "replayed", "event_id", "outcome", "user_id"}`;
/// `user_id` is `null` when the event concerned no user (`not_found`).
struct WebhookAcceptedBody: Encodable {
    var status: String
    var eventID: String
    var outcome: String
    var userID: UUID?

    enum CodingKeys: String, CodingKey {
        case status
        case eventID = "event_id"
        case outcome
        case userID = "user_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(eventID, forKey: .eventID)
        try container.encode(outcome, forKey: .outcome)
        if let userID {
            try container.encode(userID.uuidString.lowercased(), forKey: .userID)
        } else {
            try container.encodeNil(forKey: .userID)
        }
    }
}

/// Why a delivery was refused: its status, error code, the detail the
/// client sees (if any) and the reason that goes to the log only.
struct WebhookRejection: Error {
    var status: HTTPResponse.Status
    var code: String
    var detail: String?
    var reason: String
    var headers: HTTPFields = [:]

    static func invalidSignature(_ reason: String) -> WebhookRejection {
        WebhookRejection(status: .unauthorized, code: "invalid_signature", detail: nil, reason: reason)
    }

    static func payloadTooLarge(_ reason: String) -> WebhookRejection {
        WebhookRejection(status: .contentTooLarge, code: "payload_too_large", detail: nil, reason: reason)
    }

    static func invalidPayload(_ detail: String) -> WebhookRejection {
        WebhookRejection(status: .badRequest, code: "invalid_payload", detail: detail, reason: "invalid_payload: \(detail)")
    }

    static func unprocessable(_ detail: String) -> WebhookRejection {
        WebhookRejection(status: .unprocessableContent, code: "unprocessable", detail: detail, reason: "unprocessable: \(detail)")
    }

    static let conflict = WebhookRejection(
        status: .conflict, code: "event_id_conflict", detail: nil, reason: "event id already used with another body")

    static func unavailable(_ reason: String) -> WebhookRejection {
        WebhookRejection(StoreErrorMapping.unavailable(), reason: reason)
    }

    /// Store errors, mapped as on every route: what the sender did wrong (422) or should retry (503).
    static func from(_ error: StoreError) -> WebhookRejection {
        let mapped = StoreErrorMapping.apiError(error)
        return WebhookRejection(mapped, reason: "\(mapped.code): \(error.description)")
    }


    var apiError: APIError { APIError(status, code, detail: detail, headers: headers) }
}

extension WebhookRejection {
    /// A route-wide error, with the reason for the log.
    init(_ error: APIError, reason: String) {
        self.init(status: error.status, code: error.code, detail: error.detail, reason: reason, headers: error.headers)
    }
}
