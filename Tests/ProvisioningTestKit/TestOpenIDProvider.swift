import _CryptoExtras
import Crypto
import Foundation
import Hummingbird
import JWTKit
import Logging
import ServiceLifecycle
import Synchronization

/// A local OpenID provider for tests: a discovery document
/// (`/.well-known/openid-configuration`) and a JWKS (`/jwks.json`) over real
/// HTTP on 127.0.0.1 (a free port), keys made in the test (RSA 2048 for
/// RS256, P-256 for ES256), and id_tokens minted with chosen claims and
/// headers, good or deliberately bad.
///
///     let key = try await TestOpenIDProvider.SigningKey.rsa()
///     try await TestOpenIDProvider.withRunning(keys: [key]) { provider in
///         let token = try await TestOpenIDProvider.sign(
///             provider.claims(email: "ada@example.com", audience: "client", nonce: "n"), with: key)
///         // configure issuer: provider.issuer, client_id: "client"
///     }
public final class TestOpenIDProvider: Sendable {
    /// A signing key made here; its public half is what `publish` serves.
    public struct SigningKey: Sendable {
        public let kid: String
        /// "RS256" or "ES256".
        public let algorithm: String
        /// The JWK served in the JWKS (public members only).
        public let jwk: [String: String]
        /// The public key, PEM (SubjectPublicKeyInfo).
        public let publicKeyPEM: Data
        /// The public key, DER (SubjectPublicKeyInfo).
        public let publicKeyDER: Data
        /// The PEM bytes (for the "HMAC keyed with the public key" attack).
        public var publicKeyBytes: Data { publicKeyPEM }
        let signer: any JWTAlgorithm

        /// An RSA 2048 key for RS256.
        public static func rsa(kid: String = "rsa-\(UUID().uuidString.prefix(8))") async throws -> SigningKey {
            let key = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
            let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
            let keys = JWTKeyCollection()
            await keys.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
            return SigningKey(
                kid: kid, algorithm: "RS256",
                jwk: ["kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": base64URL(modulus), "e": base64URL(exponent)],
                publicKeyPEM: Data(key.publicKey.pemRepresentation.utf8), publicKeyDER: key.publicKey.derRepresentation,
                signer: try await keys.getKey(for: JWKIdentifier(string: kid)))
        }

        /// A P-256 key for ES256.
        public static func ec(kid: String = "ec-\(UUID().uuidString.prefix(8))") async throws -> SigningKey {
            let backing = P256.Signing.PrivateKey()
            let key = try ES256PrivateKey(backing: backing)
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: key, kid: JWKIdentifier(string: kid))
            guard let parameters = key.publicKey.parameters else { throw TestOpenIDProviderError("an EC key without parameters") }
            return SigningKey(
                kid: kid, algorithm: "ES256",
                jwk: ["kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256", "x": parameters.x, "y": parameters.y],
                publicKeyPEM: Data(backing.publicKey.pemRepresentation.utf8), publicKeyDER: backing.publicKey.derRepresentation,
                signer: try await keys.getKey(for: JWKIdentifier(string: kid)))
        }

        /// The same key published with another JWK `alg` (nil: none declared).
        public func declaring(algorithm: String?) -> SigningKey {
            var jwk = self.jwk
            jwk["alg"] = algorithm
            return SigningKey(
                kid: kid, algorithm: self.algorithm, jwk: jwk, publicKeyPEM: publicKeyPEM, publicKeyDER: publicKeyDER, signer: signer)
        }
    }

    /// How the provider answers; change it with `update`.
    public struct Behaviour: Sendable {
        /// The discovery document's `issuer` (nil: the provider's own, correct one).
        public var discoveryIssuer: String?
        /// The JWKS response's status (200: the key set).
        public var jwksStatus: Int = 200
        /// Bytes of filler added to the JWKS document (to make it too large).
        public var jwksPaddingBytes: Int = 0
    }

    private struct State {
        var published: [SigningKey] = []
        var behaviour = Behaviour()
        var jwksFetches = 0
        var discoveryFetches = 0
        var port = 0
        var holdingJWKS = false
        var heldJWKS: [CheckedContinuation<Void, Never>] = []
        var waitingForHeld: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let group = Mutex<ServiceGroup?>(nil)
    private let runner = Mutex<Task<Void, any Error>?>(nil)

    public init(keys: [SigningKey]) {
        state.withLock { $0.published = keys }
    }

    /// `http://127.0.0.1:PORT`: the issuer (still the old address after `stop`).
    public var issuer: String { "http://127.0.0.1:\(state.withLock { $0.port })" }
    /// JWKS requests answered (or held) so far.
    public var jwksFetches: Int { state.withLock { $0.jwksFetches } }
    /// Discovery requests answered so far.
    public var discoveryFetches: Int { state.withLock { $0.discoveryFetches } }
    public var behaviour: Behaviour { state.withLock { $0.behaviour } }

    /// Publish another key set (a rotation): the next JWKS request serves it.
    public func publish(_ keys: [SigningKey]) {
        state.withLock { $0.published = keys }
    }

    public func update(_ change: (inout Behaviour) -> Void) {
        state.withLock { change(&$0.behaviour) }
    }

    /// JWKS requests from now on wait (counted) until `releaseJWKS()`.
    public func holdJWKS() {
        state.withLock { $0.holdingJWKS = true }
    }

    /// Returns once a JWKS request is being held.
    public func untilJWKSRequestHeld() async {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                if state.heldJWKS.isEmpty { state.waitingForHeld.append(continuation) } else { continuation.resume() }
            }
        }
    }

    /// Answer the held JWKS requests, and hold no more.
    public func releaseJWKS() {
        let held = state.withLock { state in
            state.holdingJWKS = false
            defer { state.heldJWKS = [] }
            return state.heldJWKS
        }
        for continuation in held { continuation.resume() }
    }

    /// Start serving on a free port of 127.0.0.1; returns once it listens.
    public func start() async throws {
        let router = Router()
        router.get("/.well-known/openid-configuration") { _, _ in
            let issuer = self.issuer
            let claimed = self.state.withLock { state in
                state.discoveryFetches += 1
                return state.behaviour.discoveryIssuer
            }
            return try Self.json(
                ["issuer": claimed ?? issuer, "jwks_uri": issuer + "/jwks.json", "id_token_signing_alg_values_supported": ["RS256", "ES256"]],
                status: 200)
        }
        router.get("/jwks.json") { _, _ in
            let hold = self.state.withLock { state in
                state.jwksFetches += 1
                return state.holdingJWKS
            }
            if hold { await self.waitWhileHeld() }
            let (keys, behaviour) = self.state.withLock { ($0.published.map(\.jwk), $0.behaviour) }
            var document: [String: Any] = ["keys": keys]
            if behaviour.jwksPaddingBytes > 0 { document["padding"] = String(repeating: "x", count: behaviour.jwksPaddingBytes) }
            return try Self.json(document, status: behaviour.jwksStatus)
        }
        let (listening, continuation) = AsyncStream<Int>.makeStream()
        let logger = Logger(label: "test-openid-provider", factory: { _ in SwiftLogNoOpLogHandler() })
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
        group.withLock { $0 = serviceGroup }
        runner.withLock {
            $0 = Task {
                defer { continuation.finish() }
                try await serviceGroup.run()
            }
        }
        for await port in listening {
            state.withLock { $0.port = port }
            return
        }
        throw TestOpenIDProviderError("the provider stopped before it listened")
    }

    /// Stop serving (held requests are answered first); returns once the server has stopped.
    public func stop() async {
        releaseJWKS()
        let waiters = state.withLock { state in
            defer { state.waitingForHeld = [] }
            return state.waitingForHeld
        }
        for waiter in waiters { waiter.resume() }
        await group.withLock { $0 }?.triggerGracefulShutdown()
        _ = await runner.withLock { $0 }?.result
    }

    /// Run `body` with a started provider; it stops afterwards, also when `body` throws.
    public static func withRunning<T: Sendable>(keys: [SigningKey], _ body: (TestOpenIDProvider) async throws -> T) async throws -> T {
        let provider = TestOpenIDProvider(keys: keys)
        try await provider.start()
        do {
            let value = try await body(provider)
            await provider.stop()
            return value
        } catch {
            await provider.stop()
            throw error
        }
    }

    private func waitWhileHeld() async {
        await withCheckedContinuation { continuation in
            let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
                guard state.holdingJWKS else {
                    continuation.resume()
                    return []
                }
                state.heldJWKS.append(continuation)
                defer { state.waitingForHeld = [] }
                return state.waitingForHeld
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    // MARK: Tokens

    /// Claims of a good id_token for `email` and `audience`, issued at
    /// `issuedAt` by this provider, valid 5 minutes, `email_verified: true`.
    public func claims(
        email: String, audience: String, subject: String? = nil, nonce: String? = nil, issuedAt: Date = Date()
    ) -> [String: any Sendable] {
        let now = Int(issuedAt.timeIntervalSince1970)
        var claims: [String: any Sendable] = [
            "iss": issuer, "sub": subject ?? "sub-\(email)", "aud": audience, "iat": now, "exp": now + 300, "auth_time": now,
            "email": email, "email_verified": true,
        ]
        if let nonce { claims["nonce"] = nonce }
        return claims
    }

    /// A token signed by `key` (published or not) with these claims. The
    /// header is `{"alg": key.algorithm, "typ": "JWT", "kid": kid ?? key.kid}`
    /// with `header` merged over it (e.g. another `alg`) and the fields named
    /// in `removing` taken out (e.g. `["kid"]`).
    public static func sign(
        _ claims: [String: any Sendable], with key: SigningKey, kid: String? = nil, header: [String: any Sendable] = [:],
        removing: Set<String> = []
    ) async throws -> String {
        var fields: [String: Any] = ["alg": key.algorithm, "typ": "JWT", "kid": kid ?? key.kid]
        for (name, value) in header { fields[name] = value }
        for name in removing { fields[name] = nil }
        let input = try signingInput(header: fields, claims: claims)
        let signature = try key.signer.sign(Array(input.utf8))
        return input + "." + base64URL(Data(signature))
    }

    /// `alg: none`, an empty signature.
    public static func unsigned(_ claims: [String: any Sendable], kid: String) throws -> String {
        try signingInput(header: ["alg": "none", "typ": "JWT", "kid": kid], claims: claims) + "."
    }

    /// HMAC (`HS256`, `HS384` or `HS512`) keyed with `secret`, e.g. a published
    /// key's `publicKeyPEM` or `publicKeyDER` (the algorithm-confusion attack).
    public static func hmac(_ claims: [String: any Sendable], secret: Data, kid: String, algorithm: String = "HS256") throws -> String {
        let input = try signingInput(header: ["alg": algorithm, "typ": "JWT", "kid": kid], claims: claims)
        let key = SymmetricKey(data: secret), data = Data(input.utf8)
        let mac: Data = switch algorithm {
        case "HS384": Data(HMAC<SHA384>.authenticationCode(for: data, using: key))
        case "HS512": Data(HMAC<SHA512>.authenticationCode(for: data, using: key))
        default: Data(HMAC<SHA256>.authenticationCode(for: data, using: key))
        }
        return input + "." + base64URL(mac)
    }

    static func signingInput(header: [String: Any], claims: [String: any Sendable]) throws -> String {
        let headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let payloadData = try JSONSerialization.data(withJSONObject: claims as [String: Any], options: [.sortedKeys])
        return base64URL(headerData) + "." + base64URL(payloadData)
    }

    static func json(_ object: [String: Any], status: Int) throws -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))))
    }
}

public struct TestOpenIDProviderError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

func base64URL(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}
