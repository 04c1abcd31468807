import HTTPTypes
import Hummingbird
import Provisioning

/// `POST /api/sync/sources/{provider name}/notify` (CONTRACT §9): a source's
/// ping (Airtable's webhook notification). The signature is checked over the
/// raw body (401 `invalid_signature`, as on the user webhook); an authentic
/// ping is answered 204 at once and the changes are read in the background.
struct SourceNotifyRoutes: Sendable {
    /// By provider name.
    let syncs: [String: PushSync]
    let maxBodyBytes: Int

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/sync/sources/:name/notify") { request, context in
            guard let name = context.parameters.get("name"), let sync = syncs[name] else {
                throw APIError(.notFound, "not_found", detail: "no source of that name takes notifications")
            }
            let body: [UInt8]
            do {
                body = try await WebhookRoutes.readBody(request, maxBodyBytes: maxBodyBytes)
            } catch let rejection as WebhookRejection {
                throw rejection.apiError
            }
            let headers = request.headers
            let lookup = HeaderLookup { name in HTTPField.Name(name).flatMap { headers[$0] } }
            guard await sync.notified(body: body, headers: lookup) else {
                throw WebhookRejection.invalidSignature("").apiError
            }
            return Response(status: .noContent)
        }
    }
}
