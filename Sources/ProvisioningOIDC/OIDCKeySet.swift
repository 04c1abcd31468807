import Foundation
import JWTKit

/// The issuer's verification keys by `kid`, each bound to its one
/// algorithm (RS256 for an RSA key, ES256 for a P-256 key).
struct OIDCKeySet: Sendable {
    struct Key: Sendable {
        let algorithm: String
        let keys: JWTKeyCollection
    }

    var keys: [String: Key] = [:]

    /// The usable signing keys of a JWKS document; others are skipped.
    static func parse(_ object: [String: Any]) async -> OIDCKeySet {
        var set = OIDCKeySet()
        for case let jwk as [String: Any] in object["keys"] as? [Any] ?? [] {
            guard let kid = jwk["kid"] as? String, !kid.isEmpty, (jwk["use"] as? String ?? "sig") == "sig" else { continue }
            let declared = jwk["alg"] as? String
            let collection = JWTKeyCollection()
            switch jwk["kty"] as? String {
            case "RSA":
                guard declared == nil || declared == "RS256", let n = jwk["n"] as? String, let e = jwk["e"] as? String,
                      let key = try? Insecure.RSA.PublicKey(modulus: n, exponent: e) else { continue }
                await collection.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
                set.keys[kid] = Key(algorithm: "RS256", keys: collection)
            case "EC":
                guard declared == nil || declared == "ES256", jwk["crv"] as? String == "P-256",
                      let x = jwk["x"] as? String, let y = jwk["y"] as? String,
                      let key = try? ES256PublicKey(parameters: (x: x, y: y)) else { continue }
                await collection.add(ecdsa: key, kid: JWKIdentifier(string: kid))
                set.keys[kid] = Key(algorithm: "ES256", keys: collection)
            default:
                continue
            }
        }
        return set
    }
}
