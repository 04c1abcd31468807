import Provisioning
import Testing
@testable import ProvisioningService

@Suite("One mapping of store errors to HTTP")
struct StoreErrorMappingTests {
    @Test("an unreachable store is 503 with Retry-After on every route; refused data is 422 with its reason")
    func mapping() {
        let down = StoreErrorMapping.apiError(.unavailable("connection refused"))
        #expect(down.status == .serviceUnavailable && down.code == "temporarily_unavailable")
        #expect(down.headers[.retryAfter] == "1")
        #expect(down.detail == nil, "no internals in the body")
        for error: StoreError in [.emailOwnedByAnotherRecord, .emailTaken, .missingEmail, .invalidEmail("bad"), .invalidData("bad")] {
            let refused = StoreErrorMapping.apiError(error)
            #expect(refused.status == .unprocessableContent && refused.code == "unprocessable" && refused.detail != nil)
        }
        // The webhook's rejection is the same mapping.
        let webhook = WebhookRejection.from(.unavailable("x"))
        #expect(webhook.status == down.status && webhook.code == down.code && webhook.headers == down.headers)
        #expect(WebhookRejection.unavailable("cancelled").headers == down.headers)
    }
}
