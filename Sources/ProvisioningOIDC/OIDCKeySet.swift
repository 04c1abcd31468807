import Foundation
import JWTKit

/// The issuer's verification keys by `kid`, each bound to its one algorithm:
/// an RSA key (2048 bits or more) verifies RS256 only, a P-256 key ES256
/// only. A JWK that declares another `alg`, is not for signatures, or has
/// no `kid` is skipped.
struct OIDCKeySet: Sendable {
    struct Key: Sendable {
        /// "RS256" or "ES256".
        let algorithm: String
        let verifier: any JWTAlgorithm
    }

    /// kid → algorithm → key (a JWKS may, rarely, reuse a kid across key types).
    private(set) var keys: [String: [String: Key]] = [:]

    var isEmpty: Bool { keys.isEmpty }

    func key(kid: String, algorithm: String) -> Key? { keys[kid]?[algorithm] }
    func knows(kid: String) -> Bool { keys[kid] != nil }

    /// The usable signing keys of a JWKS document.
    static func parse(_ object: [String: Any]) async -> OIDCKeySet {
        var set = OIDCKeySet()
        for case let jwk as [String: Any] in object["keys"] as? [Any] ?? [] {
            guard let kid = jwk["kid"] as? String, !kid.isEmpty else { continue }
            if let use = jwk["use"], use as? String != "sig" { continue }
            if let operations = jwk["key_ops"] {
                guard let list = operations as? [String], list.contains("verify") else { continue }
            }
            let declared = jwk["alg"]
            let collection = JWTKeyCollection()
            let identifier = JWKIdentifier(string: kid)
            let algorithm: String
            switch jwk["kty"] as? String {
            case "RSA":
                algorithm = "RS256"
                guard declared == nil || declared as? String == algorithm,
                      let n = jwk["n"] as? String, let e = jwk["e"] as? String,
                      let key = try? Insecure.RSA.PublicKey(modulus: n, exponent: e) else { continue }
                await collection.add(rsa: key, digestAlgorithm: .sha256, kid: identifier)
            case "EC":
                algorithm = "ES256"
                guard declared == nil || declared as? String == algorithm, jwk["crv"] as? String == "P-256",
                      let x = jwk["x"] as? String, let y = jwk["y"] as? String,
                      let key = try? ES256PublicKey(parameters: (x: x, y: y)) else { continue }
                await collection.add(ecdsa: key, kid: identifier)
            default:
                continue
            }
            guard let verifier = try? await collection.getKey(for: identifier), verifier.name == algorithm else { continue }
            set.keys[kid, default: [:]][algorithm] = Key(algorithm: algorithm, verifier: verifier)
        }
        return set
    }
}
