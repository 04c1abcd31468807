import Foundation
import Hummingbird

/// An API request, resolved from method and path: `/v0/{base}/{table}[/{recordId}|/listRecords]`,
/// the schema route `/v0/meta/bases/{base}/tables`, or the webhook routes `/v0/bases/{base}/webhooks…`.
/// Path segments are percent-decoded after splitting, so `My%20Users` and `a%2Fb` name tables.
enum SimRoute: Sendable, Equatable {
    case list(base: String, table: String)
    case listByBody(base: String, table: String)
    case get(base: String, table: String, id: String)
    case create(base: String, table: String)
    case updateMany(base: String, table: String, replace: Bool)
    case updateOne(base: String, table: String, id: String, replace: Bool)
    case deleteMany(base: String, table: String)
    case deleteOne(base: String, table: String, id: String)
    /// `GET /v0/meta/bases/{base}/tables`.
    case schema(base: String)
    /// `/v0/bases/{base}/webhooks[/{id}[/refresh|/payloads]]`.
    case webhookCreate(base: String)
    case webhookList(base: String)
    case webhookDelete(base: String, id: String)
    case webhookRefresh(base: String, id: String)
    case webhookPayloads(base: String, id: String)
    case notFound(base: String?)

    init(method: HTTPRequest.Method, rawPath: String) {
        var parts = rawPath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "" { parts.removeFirst() }
        if parts.count > 1, parts.last == "" { parts.removeLast() }
        guard parts.first == "v0", parts.count >= 2 else {
            self = .notFound(base: nil)
            return
        }
        let decoded = parts.dropFirst().map { $0.removingPercentEncoding }
        guard decoded.allSatisfy({ $0 != nil && $0 != "" }) else {
            self = .notFound(base: nil)
            return
        }
        let segments = decoded.compactMap { $0 }
        if segments.first == "meta" {
            if method == .get, segments.count == 4, segments[1] == "bases", segments[3] == "tables" {
                self = .schema(base: segments[2])
            } else {
                self = .notFound(base: segments.count > 2 ? segments[2] : nil)
            }
            return
        }
        if segments.first == "bases", segments.count >= 3, segments[2] == "webhooks" {
            let base = segments[1]
            switch (method, segments.count) {
            case (.post, 3): self = .webhookCreate(base: base)
            case (.get, 3): self = .webhookList(base: base)
            case (.delete, 4): self = .webhookDelete(base: base, id: segments[3])
            case (.post, 5) where segments[4] == "refresh": self = .webhookRefresh(base: base, id: segments[3])
            case (.get, 5) where segments[4] == "payloads": self = .webhookPayloads(base: base, id: segments[3])
            default: self = .notFound(base: base)
            }
            return
        }
        let base = segments[0]
        switch (method, segments.count) {
        case (.get, 2): self = .list(base: base, table: segments[1])
        case (.post, 2): self = .create(base: base, table: segments[1])
        case (.patch, 2): self = .updateMany(base: base, table: segments[1], replace: false)
        case (.put, 2): self = .updateMany(base: base, table: segments[1], replace: true)
        case (.delete, 2): self = .deleteMany(base: base, table: segments[1])
        case (.post, 3) where segments[2] == "listRecords": self = .listByBody(base: base, table: segments[1])
        case (.get, 3): self = .get(base: base, table: segments[1], id: segments[2])
        case (.patch, 3): self = .updateOne(base: base, table: segments[1], id: segments[2], replace: false)
        case (.put, 3): self = .updateOne(base: base, table: segments[1], id: segments[2], replace: true)
        case (.delete, 3): self = .deleteOne(base: base, table: segments[1], id: segments[2])
        default: self = .notFound(base: base)
        }
    }

    var base: String? {
        switch self {
        case .list(let b, _), .listByBody(let b, _), .get(let b, _, _), .create(let b, _), .updateMany(let b, _, _),
            .updateOne(let b, _, _, _), .deleteMany(let b, _), .deleteOne(let b, _, _), .schema(let b),
            .webhookCreate(let b), .webhookList(let b), .webhookDelete(let b, _), .webhookRefresh(let b, _), .webhookPayloads(let b, _):
            return b
        case .notFound(let b): return b
        }
    }

    var kind: SimRequestKind {
        switch self {
        case .list, .listByBody: return .list
        case .get: return .get
        case .create: return .create
        case .updateMany, .updateOne: return .update
        case .deleteMany, .deleteOne: return .delete
        case .schema, .webhookCreate, .webhookList, .webhookDelete, .webhookRefresh, .webhookPayloads, .notFound: return .other
        }
    }
}

/// Query strings: `&`-separated, `+` is a space, keys and values percent-decoded.
enum SimQuery {
    static func parse(_ raw: String?) throws(SimAPIError) -> [(key: String, value: String)] {
        guard let raw, !raw.isEmpty else { return [] }
        var pairs: [(key: String, value: String)] = []
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(pieces[0]), let value = decode(pieces.count > 1 ? pieces[1] : "") else {
                throw SimAPIError.invalidRequest("the query string is not valid percent-encoding")
            }
            pairs.append((key, value))
        }
        return pairs
    }

    private static func decode(_ s: Substring) -> String? {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
