import Foundation
import HTTPTypes
import Hummingbird

/// The client's address: the connection's peer, or, when the peer is a
/// trusted proxy, the right-most `X-Forwarded-For` entry that is not one.
struct ClientAddress: Sendable {
    let trustedProxies: Set<String>

    func resolve(request: Request, context: AppRequestContext) -> String {
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        guard trustedProxies.contains(peer), let forwarded = request.headers[.xForwardedFor] else { return peer }
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) } ?? peer
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
