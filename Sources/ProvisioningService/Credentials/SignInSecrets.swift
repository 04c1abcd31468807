import Crypto
import Foundation
import Provisioning

/// Codes and link tokens of emailed sign-ins: made from the system's
/// random source, stored only as SHA-256 hashes.
enum SignInSecrets {
    /// A code of `digits` decimal digits, uniform (leading zeros kept).
    static func code(digits: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var bound = 1
        for _ in 0..<digits { bound *= 10 }
        let value = Int.random(in: 0..<bound, using: &generator)
        let text = String(value)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// A link token: 256 random bits, base64url.
    static func linkToken() -> String {
        RefreshTokenCodec.generate()
    }

    /// A code is hashed with its email, so a code hash says nothing across emails.
    static func codeHash(email: String, code: String) -> String {
        Hex.encode(SHA256.hash(data: Data("email_code:\(email):\(code)".utf8)))
    }

    static func tokenHash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data("email_link:\(token)".utf8)))
    }
}
