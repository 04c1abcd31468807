import AsyncHTTPClient
import HTTPTypes
import NIOCore
import NIOHTTP1

/// The harness's client: real HTTP over AsyncHTTPClient, like HummingbirdTesting's
/// `.live` client, but with a timeout that leaves room for a loaded 2-core
/// machine running the whole suite at once (`.live` fixes 20 s, which a
/// login queued behind hundreds of other tests' bcrypt verifies can exceed).
struct HarnessClient: Sendable {
    static let timeout: TimeAmount = .seconds(120)

    let baseURL: String

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> HarnessResponse {
        var request = HTTPClientRequest(url: baseURL + (uri.hasPrefix("/") ? "" : "/") + uri)
        request.method = HTTPMethod(rawValue: method.rawValue)
        request.headers = HTTPHeaders(headers.map { ($0.name.rawName, $0.value) })
        request.body = body.map { .bytes($0) }
        let response = try await HTTPClient.shared.execute(request, timeout: Self.timeout)
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return HarnessResponse(
            status: HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
            headers: fields, body: try await response.body.collect(upTo: .max))
    }
}

/// A response as the tests read it.
struct HarnessResponse: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
}
