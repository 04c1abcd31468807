import Foundation

/// Request headers, looked up case-insensitively.
public struct HeaderLookup: Sendable {
    private let lookup: @Sendable (String) -> String?
    public init(_ lookup: @escaping @Sendable (String) -> String?) { self.lookup = lookup }
    public init(_ headers: [String: String]) {
        let lowered = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.lookup = { lowered[$0.lowercased()] }
    }
    public subscript(_ name: String) -> String? { lookup(name) }
}

/// The verdict of a signature scheme on one delivery.
public enum SignatureCheck: Sendable, Equatable {
    /// Authentic; the event id the scheme carries, if any (`webhook-id`).
    case valid(eventID: String?)
    /// Not authentic; the reason goes to the log only.
    case invalid(reason: String)
}

/// A webhook signature scheme (`hmac-sha256`, `shared-token`).
public protocol SignatureVerifier: Sendable {
    var kind: String { get }
    /// Whether this scheme's headers are present: the first such scheme decides.
    func isPresent(in headers: HeaderLookup) -> Bool
    func verify(headers: HeaderLookup, body: [UInt8], now: Date) -> SignatureCheck
    /// How far a delivery's times may lie in the future: its `tolerance_s`
    /// (a record modified later than that is refused, CONTRACT.md §10).
    var toleranceSeconds: Int { get }
    /// Whether a delivery authenticated by this scheme may write `attribute`
    /// (a `shared-token` may not write `password_hash` or `role` by default).
    func mayWrite(_ attribute: String) -> Bool
}

extension SignatureVerifier {
    /// Schemes without a timestamp of their own use Standard Webhooks' default.
    public var toleranceSeconds: Int { 300 }
    public func mayWrite(_ attribute: String) -> Bool { true }
}

/// A signature scheme kind, registered by `kind` like providers.
public protocol SignatureSchemeFactory: Sendable {
    associatedtype Settings: Sendable
    var kind: String { get }
    var sampleConfig: String { get }
    func decode(_ section: ConfigSection) -> Settings?
    func make(_ settings: Settings) throws -> any SignatureVerifier
    /// The scheme's `tolerance_s`: the ledger must remember event ids at
    /// least this long, or a replay inside the tolerance would apply twice.
    func toleranceSeconds(of settings: Settings) -> Int
}

extension SignatureSchemeFactory {
    public func toleranceSeconds(of settings: Settings) -> Int { 300 }
}

public struct AnySignatureSchemeFactory: Sendable {
    public let kind: String
    public let sampleConfig: String
    let decode: @Sendable (ConfigSection) -> (any Sendable)?
    let make: @Sendable (any Sendable) throws -> any SignatureVerifier
    let tolerance: @Sendable (any Sendable) -> Int

    public init<F: SignatureSchemeFactory>(_ factory: F) {
        kind = factory.kind
        sampleConfig = factory.sampleConfig
        decode = { factory.decode($0) }
        make = { settings in
            guard let typed = settings as? F.Settings else { throw RegistryError.settingsMismatch(factory.kind) }
            return try factory.make(typed)
        }
        tolerance = { settings in (settings as? F.Settings).map(factory.toleranceSeconds) ?? 300 }
    }
}
