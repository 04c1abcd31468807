import _CryptoExtras
import Crypto
import Foundation
import Hummingbird
import JWTKit
import Logging
import ServiceLifecycle
import Synchronization

/// A local OpenID provider for tests: a discovery document and a JWKS over
/// real HTTP on 127.0.0.1, keys made here (RSA 2048 for RS256, P-256 for
/// ES256), and id_tokens minted with chosen claims, good or deliberately bad.
public final class TestOpenIDProvider: Sendable {
    public struct SigningKey: Sendable {
        public let kid: String
        public let algorithm: String
        let keys: JWTKeyCollection
        let jwk: [String: String]
        /// Bytes of the public key (for the "HMAC keyed with the public key" attack).
        public let publicKeyBytes: Data

        public static func rsa(kid: String = "rsa-\(UUID().uuidString.prefix(8))") async throws -> SigningKey {
            let key = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
            let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
            let keys = JWTKeyCollection()
            await keys.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
            return SigningKey(
                kid: kid, algorithm: "RS256", keys: keys,
                jwk: ["kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": base64URL(modulus), "e": base64URL(exponent)],
                publicKeyBytes: Data(key.publicKey.pemRepresentation.utf8))
        }

        public static func ec(kid: String = "ec-\(UUID().uuidString.prefix(8))") async throws -> SigningKey {
            let key = ES256PrivateKey()
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: key, kid: JWKIdentifier(string: kid))
            let parameters = try require_parameters(key.publicKey.parameters)
            return SigningKey(
                kid: kid, algorithm: "ES256", keys: keys,
                jwk: ["kty": "EC", "kid": kid, "use": "sig", "crv": "P-256", "x": parameters.x, "y": parameters.y],
                publicKeyBytes: Data((parameters.x + parameters.y).utf8))
        }
    }

    private struct State {
        var published: [SigningKey] = []
        var jwksFetches = 0
        var port = 0
    }

    private let state = Mutex(State())
    private var group: ServiceGroup? { groupBox.withLock { $0 } }
    private let groupBox = Mutex<ServiceGroup?>(nil)
    private let runner = Mutex<Task<Void, any Error>?>(nil)

    public init(keys: [SigningKey]) {
        state.withLock { $0.published = keys }
    }

    /// `http://127.0.0.1:PORT`: the issuer.
    public var issuer: String { "http://127.0.0.1:\(state.withLock { $0.port })" }
    public var jwksFetches: Int { state.withLock { $0.jwksFetches } }

    /// Publish another key set (a rotation).
    public func publish(_ keys: [SigningKey]) {
        state.withLock { $0.published = keys }
    }

    /// Start serving; returns once it listens.
    public func start() async throws {
        let router = Router()
        router.get("/.well-known/openid-configuration") { _, _ in
            try Self.json(["issuer": self.issuer, "jwks_uri": self.issuer + "/jwks.json", "id_token_signing_alg_values_supported": ["RS256", "ES256"]])
        }
        router.get("/jwks.json") { _, _ in
            let keys = self.state.withLock { state in
                state.jwksFetches += 1
                return state.published.map(\.jwk)
            }
            return try Self.json(["keys": keys])
        }
        let (listening, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "test-openid-provider", factory: { _ in SwiftLogNoOpLogHandler() }))
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test-openid-provider", factory: { _ in SwiftLogNoOpLogHandler() })))
        groupBox.withLock { $0 = group }
        runner.withLock { $0 = Task { defer { continuation.finish() }; try await group.run() } }
        for await port in listening {
            state.withLock { $0.port = port }
            return
        }
        throw TestOpenIDProviderError("the provider stopped before it listened")
    }

    public func stop() async {
        await group?.triggerGracefulShutdown()
        _ = await runner.withLock { $0 }?.result
    }

    /// Run `body` with a started provider; it stops afterwards.
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

    /// Claims of a good id_token for `email` and `audience`, issued now by this provider.
    public func claims(email: String, audience: String, subject: String? = nil, nonce: String? = nil) -> [String: any Sendable] {
        let now = Int(Date().timeIntervalSince1970)
        var claims: [String: any Sendable] = [
            "iss": issuer, "sub": subject ?? "sub-\(email)", "aud": audience, "iat": now, "exp": now + 300,
            "email": email, "email_verified": true,
        ]
        if let nonce { claims["nonce"] = nonce }
        return claims
    }

    /// A token signed by `key` (published or not) with these claims.
    public static func sign(_ claims: [String: any Sendable], with key: SigningKey, kid: String? = nil) async throws -> String {
        let header = try JSONSerialization.data(withJSONObject: ["alg": key.algorithm, "typ": "JWT", "kid": kid ?? key.kid])
        let payload = try JSONSerialization.data(withJSONObject: claims)
        let input = base64URL(header) + "." + base64URL(payload)
        // jwt-kit signs its own header; sign the input with the key's algorithm through a token of it.
        let signer = try await key.keys.getKey(for: JWKIdentifier(string: key.kid), alg: key.algorithm)
        let signature = try signer.sign(Array(input.utf8))
        return input + "." + base64URL(Data(signature))
    }

    /// `alg: none`, no signature.
    public static func unsigned(_ claims: [String: any Sendable], kid: String) throws -> String {
        let header = try JSONSerialization.data(withJSONObject: ["alg": "none", "typ": "JWT", "kid": kid])
        return base64URL(header) + "." + base64URL(try JSONSerialization.data(withJSONObject: claims)) + "."
    }

    /// HS256 keyed with `secret` (e.g. a published key's public bytes).
    public static func hmac(_ claims: [String: any Sendable], secret: Data, kid: String) throws -> String {
        let header = try JSONSerialization.data(withJSONObject: ["alg": "HS256", "typ": "JWT", "kid": kid])
        let input = base64URL(header) + "." + base64URL(try JSONSerialization.data(withJSONObject: claims))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + base64URL(Data(mac))
    }

    static func json(_ object: [String: Any]) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
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

func require_parameters(_ parameters: ECDSAParameters?) throws -> ECDSAParameters {
    guard let parameters else { throw TestOpenIDProviderError("an EC key without parameters") }
    return parameters
}
