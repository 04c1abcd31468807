import Foundation

/// Airtable's error bodies.
enum AirtableErrorBody {
    /// The error type from `{"error": {"type"}}`, `{"error": "TYPE"}` or
    /// `{"errors": [{"error": "TYPE"}]}`.
    @Sendable static func type(_ body: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return "UNPARSEABLE_BODY" }
        if let error = object["error"] as? [String: Any], let type = error["type"] as? String { return type }
        if let type = object["error"] as? String { return type }
        if let errors = object["errors"] as? [[String: Any]], let first = errors.first {
            return (first["error"] as? String) ?? (first["type"] as? String) ?? "UNKNOWN"
        }
        return "UNKNOWN"
    }
}
