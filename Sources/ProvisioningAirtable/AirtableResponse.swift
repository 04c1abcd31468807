import Foundation

/// A response body parsed once (`JSONSerialization`'s immutable Foundation
/// values, safe to share).
struct ParsedJSON: @unchecked Sendable {
    let value: Any
}

/// What one request to Airtable came to.
enum AirtableResponse: Sendable {
    case ok(ParsedJSON)
    case notFound
    /// Airtable's error type (any of its body shapes) with the status.
    case failed(status: Int, type: String)
    case rateLimited
    case unreachable(String)

    /// Read the error type from `{"error": {"type"}}`, `{"error": "TYPE"}` or
    /// `{"errors": [{"error": "TYPE"}]}`.
    static func errorType(_ body: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return "UNPARSEABLE_BODY" }
        if let error = object["error"] as? [String: Any], let type = error["type"] as? String { return type }
        if let type = object["error"] as? String { return type }
        if let errors = object["errors"] as? [[String: Any]], let first = errors.first {
            return (first["error"] as? String) ?? (first["type"] as? String) ?? "UNKNOWN"
        }
        return "UNKNOWN"
    }
}
