import Foundation

/// A response body parsed once (`JSONSerialization`'s immutable Foundation
/// values, safe to share).
public struct ParsedJSON: @unchecked Sendable {
    public let value: Any
    public init(value: Any) { self.value = value }
}

/// What one request to an HTTP source came to.
public enum HTTPSourceReply: Sendable {
    /// A 2xx with a JSON body.
    case ok(ParsedJSON)
    case notFound
    /// Any other answer, with the kind's reading of the error body (a 2xx
    /// whose body is not JSON: "malformed JSON body").
    case failed(status: Int, detail: String)
    case rateLimited
    /// No answer in time, no connection, the circuit open or no token left.
    case unreachable(String)
}
