import Foundation
import Hummingbird

/// JSON request bodies: anything that is not the expected object is 400
/// `invalid_request`.
enum RequestBody {
    static let maxBytes = 64 * 1024

    static func decode<T: Decodable>(_ request: Request, _ context: AppRequestContext) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBytes)
        } catch {
            throw APIError(.contentTooLarge, "payload_too_large")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch {
            throw APIError(.badRequest, "invalid_request", detail: "expected a JSON object with the required fields")
        }
    }
}
