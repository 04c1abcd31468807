import Foundation
import Hummingbird
import Provisioning

/// `GET /admin/users/explain?email=…|user_id=…|record_id=…[&offline=true]`:
/// `provisiond explain` as JSON, on the management listener only (never the
/// public port). Read-only; it sees this process's negative cache and circuits.
struct ExplainRoutes: Sendable {
    let explainer: Explainer

    func register(on router: Router<AppRequestContext>) {
        router.get("/admin/users/explain") { request, _ in
            let parameters = request.uri.queryParameters
            let given = ["email", "user_id", "record_id"].filter { parameters[$0[...]] != nil }
            guard given.count == 1, let value = parameters[given[0][...]].map(String.init), !value.isEmpty else {
                throw APIError(.badRequest, "invalid_request", detail: "give exactly one of email, user_id, record_id")
            }
            let query: Explainer.Query
            switch given[0] {
            case "email": query = .email(value)
            case "user_id":
                guard let id = UUID(uuidString: value) else { throw APIError(.badRequest, "invalid_request", detail: "user_id is not a UUID") }
                query = .userID(id)
            default: query = .recordID(value)
            }
            let explanation: UserExplanation
            do {
                explanation = try await explainer.explain(query, offline: parameters["offline"] == "true")
            } catch let error as StoreError {
                throw StoreErrorMapping.apiError(error)
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: try explanation.json())))
        }
    }
}
