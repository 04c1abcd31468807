import Hummingbird
import Provisioning

/// The one mapping of `StoreError` to HTTP, for every route. An unreachable
/// store is `503 temporarily_unavailable` with `Retry-After` (the caller
/// retries; the store's circuit probes every 0.5 s, so 1 s is enough);
/// anything else is data the store refused: `422 unprocessable` with why.
/// A route that must not say more than its own refusal (sign-in, refresh)
/// answers that refusal instead of the 422.
enum StoreErrorMapping {
    static let retryAfterSeconds = 1

    static func unavailable() -> APIError {
        APIError(.serviceUnavailable, "temporarily_unavailable", headers: [.retryAfter: String(retryAfterSeconds)])
    }

    static func apiError(_ error: StoreError) -> APIError {
        switch error {
        case .unavailable: unavailable()
        case .emailOwnedByAnotherRecord, .emailTaken: refused("the email is already owned by another record")
        case .missingEmail: refused("the record has no email and no stored user has its record id")
        case .invalidEmail(let why), .invalidData(let why): refused(why)
        }
    }

    private static func refused(_ detail: String) -> APIError {
        APIError(.unprocessableContent, "unprocessable", detail: detail)
    }
}
