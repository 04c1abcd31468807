import Crypto
import Foundation
import Provisioning

/// Kind `hmac-sha256`: Standard Webhooks. Headers `webhook-id`,
/// `webhook-timestamp`, `webhook-signature` (space-separated `v1,<base64>`),
/// HMAC-SHA256 over `{id}.{timestamp}.{raw body}` with a `whsec_` secret.
public struct HMACSignatureVerifier: SignatureVerifier {
    public let kind = "hmac-sha256"
    let keys: [SymmetricKey]
    public let toleranceSeconds: Int
    /// `v1,` entries of `webhook-signature` considered at most.
    static let maxEntries = 8

    public init(secrets: [String], toleranceSeconds: Int) throws(HMACSignatureScheme.InvalidSecret) {
        self.keys = try secrets.map { secret throws(HMACSignatureScheme.InvalidSecret) in try HMACSignatureScheme.key(fromSecret: secret) }
        self.toleranceSeconds = toleranceSeconds
    }

    public func isPresent(in headers: HeaderLookup) -> Bool {
        headers["webhook-signature"] != nil || headers["webhook-id"] != nil
    }

    public func verify(headers: HeaderLookup, body: [UInt8], now: Date) -> SignatureCheck {
        guard let id = headers["webhook-id"], !id.isEmpty,
              let timestampText = headers["webhook-timestamp"],
              let signatures = headers["webhook-signature"] else {
            return .invalid(reason: "missing webhook-id, webhook-timestamp or webhook-signature")
        }
        guard let timestamp = Int(timestampText) else { return .invalid(reason: "webhook-timestamp is not Unix seconds") }
        // Any Int is a valid header value: subtract without trapping.
        let (skew, overflow) = Int(now.timeIntervalSince1970).subtractingReportingOverflow(timestamp)
        guard !overflow, skew.magnitude <= UInt(toleranceSeconds) else {
            return .invalid(reason: "webhook-timestamp outside the tolerance")
        }
        // At most `maxEntries` entries are read, and each secret's MAC is
        // computed once: a header of thousands of entries costs no more than
        // a normal delivery (CONTRACT.md §10).
        let candidates = signatures.utf8.split(separator: UInt8(ascii: " "), maxSplits: Self.maxEntries, omittingEmptySubsequences: true)
            .prefix(Self.maxEntries)
            .compactMap { entry -> Data? in
                guard entry.starts(with: "v1,".utf8) else { return nil }
                return Data(base64Encoded: String(decoding: entry.dropFirst(3), as: UTF8.self))
            }
        guard !candidates.isEmpty else { return .invalid(reason: "no v1 signature in webhook-signature") }
        var content = Array("\(id).\(timestampText).".utf8)
        content.append(contentsOf: body)
        for key in keys {
            let mac = Array(HMAC<SHA256>.authenticationCode(for: content, using: key))
            if candidates.contains(where: { ConstantTime.equals(mac, $0) }) { return .valid(eventID: id) }
        }
        return .invalid(reason: "no signature matches a configured secret")
    }
}

public struct HMACSignatureScheme: SignatureSchemeFactory {
    public struct Settings: Sendable {
        public var secrets: [String]
        public var toleranceSeconds: Int
    }

    public struct InvalidSecret: Error, CustomStringConvertible {
        public var description: String { "a secret must be 'whsec_' followed by the base64 of at least \(HMACSignatureScheme.minimumKeyBytes) bytes" }
    }

    public init() {}

    public let kind = "hmac-sha256"
    public let sampleConfig = """
        - kind: hmac-sha256                  # Standard Webhooks signatures
          secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]   # several, for rotation
          tolerance_s: 300                   # how far webhook-timestamp may be from now
        """

    /// A shorter key could be guessed offline from one signed delivery.
    static let minimumKeyBytes = 24

    static func key(fromSecret secret: String) throws(InvalidSecret) -> SymmetricKey {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard !encoded.isEmpty, let data = Data(base64Encoded: encoded), data.count >= minimumKeyBytes else { throw InvalidSecret() }
        return SymmetricKey(data: data)
    }

    public func decode(_ section: ConfigSection) -> Settings? {
        let secrets = section.stringListWithNodes("secrets") ?? []
        if section.itemCount("secrets") == 0 { section.problem("hmac-sha256 needs at least one secret in 'secrets'") }
        for secret in secrets {
            do { _ = try Self.key(fromSecret: secret.value) } catch {
                section.problem(at: secret.node, path: secret.path, error.description)
            }
        }
        let tolerance = section.int("tolerance_s", default: 300, range: 1...86_400)
        return Settings(secrets: secrets.map(\.value), toleranceSeconds: tolerance)
    }

    public func toleranceSeconds(of settings: Settings) -> Int { settings.toleranceSeconds }

    public func make(_ settings: Settings) throws -> any SignatureVerifier {
        try HMACSignatureVerifier(secrets: settings.secrets, toleranceSeconds: settings.toleranceSeconds)
    }
}

extension HMACSignatureScheme {
    /// The `webhook-signature` value (`v1,<base64>`) a Standard Webhooks sender
    /// computes for this delivery: for `provisiond sign-event`, demos and tests.
    public static func sign(id: String, timestamp: Int, body: [UInt8], secret: String) throws(InvalidSecret) -> String {
        let key = try key(fromSecret: secret)
        var content = Array("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        return "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: key)).base64EncodedString()
    }
}
