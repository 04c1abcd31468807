import Crypto
import Foundation
import Provisioning

/// Refresh tokens: 256 random bits, base64url; stored only as a SHA-256 hash.
enum RefreshTokenCodec {
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64URL.encode(bytes)
    }

    static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }
}
