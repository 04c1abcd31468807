import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import NIOFoundationCompat
import Synchronization

/// Verifies id_tokens of one issuer (CONTRACT.md §7): RS256 and ES256 only,
/// keys from the issuer's discovery document and JWKS, `iss`, `aud`, `exp`,
/// `iat`, `nonce` and `email_verified`. The JWKS is cached; a token with an
/// unknown `kid` refetches it at most once a minute (concurrent refetches
/// share one request), so a flood of made-up kids costs one request a minute.
public final class OIDCVerifier: Sendable {
    static let allowedAlgorithms: Set<String> = ["RS256", "ES256"]
    /// Clock skew allowed on `exp` and `iat`.
    static let leewaySeconds: Double = 60
    /// The contract's "at most once a minute"; tests may shorten it.
    let refetchInterval: Duration
    /// After a failed fetch another may start this soon (the provider may be back).
    static let retryAfterFailure: Duration = .seconds(5)
    static let maxDocumentBytes = 1 << 20

    let settings: OIDCSettings
    let http: HTTPClient
    let now: @Sendable () -> Date

    private struct State {
        var keySet = OIDCKeySet()
        var lastFetch: ContinuousClock.Instant?
        var lastFailure: ContinuousClock.Instant?
        var inflight: Task<Result<OIDCKeySet, OIDCRejection>, Never>?
    }

    private let state = Mutex(State())

    public init(
        settings: OIDCSettings, httpClient: HTTPClient = .shared, refetchInterval: Duration = .seconds(60),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.refetchInterval = refetchInterval
        self.settings = settings
        self.http = httpClient
        self.now = now
    }

    public func verify(idToken: String, nonce: String?) async throws(OIDCRejection) -> OIDCIdentity {
        let header = try Self.header(of: idToken)
        guard let alg = header["alg"] as? String, Self.allowedAlgorithms.contains(alg) else {
            throw .algorithmNotAllowed(header["alg"] as? String ?? "none")
        }
        guard let kid = header["kid"] as? String, !kid.isEmpty else { throw .unknownKey }
        let key = try await key(kid: kid)
        guard key.algorithm == alg else { throw .unknownKey }
        let claims: IDTokenClaims
        do {
            claims = try await key.keys.verify(idToken, as: IDTokenClaims.self)
        } catch {
            throw .badSignature
        }
        return try check(claims, nonce: nonce)
    }

    /// The claims' rules, once the signature holds.
    func check(_ claims: IDTokenClaims, nonce: String?) throws(OIDCRejection) -> OIDCIdentity {
        let now = now().timeIntervalSince1970
        guard claims.iss == settings.issuer else { throw .wrongIssuer }
        guard let audience = claims.aud, audience.value.contains(settings.clientID) else { throw .wrongAudience }
        guard let exp = claims.exp else { throw .missingClaim("exp") }
        guard exp + Self.leewaySeconds > now else { throw .expired }
        guard let iat = claims.iat else { throw .missingClaim("iat") }
        guard iat <= now + Self.leewaySeconds else { throw .issuedInFuture }
        if let nonce, claims.nonce != nonce { throw .nonceMismatch }
        guard let subject = claims.sub, !subject.isEmpty else { throw .missingClaim("sub") }
        guard let email = claims.email, !email.isEmpty else { throw .missingClaim("email") }
        let verified = claims.emailVerified ?? false
        if settings.requireEmailVerified && !verified { throw .emailNotVerified }
        return OIDCIdentity(issuer: settings.issuer, subject: subject, email: email, emailVerified: verified)
    }

    static func header(of token: String) throws(OIDCRejection) -> [String: Any] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = base64URLDecode(parts[0]),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw .malformed }
        return object
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    // MARK: Keys

    private func key(kid: String) async throws(OIDCRejection) -> OIDCKeySet.Key {
        if let key = state.withLock({ $0.keySet.keys[kid] }) { return key }
        try await refetch()
        guard let key = state.withLock({ $0.keySet.keys[kid] }) else { throw .unknownKey }
        return key
    }

    /// Fetch discovery and JWKS unless a fetch succeeded in the last minute
    /// (or failed in the last 5 s); joins a fetch already running.
    private func refetch() async throws(OIDCRejection) {
        let clock = ContinuousClock.now
        enum Next { case join(Task<Result<OIDCKeySet, OIDCRejection>, Never>), keepCache, stillFailing }
        let next: Next = state.withLock { state in
            if let running = state.inflight { return .join(running) }
            if let last = state.lastFetch, clock - last < refetchInterval { return .keepCache }
            // The last fetch failed a moment ago: the provider is still
            // unavailable (503), not the token wrong (401).
            if let failed = state.lastFailure, clock - failed < Self.retryAfterFailure { return .stillFailing }
            let task = Task { await self.fetchKeySet() }
            state.inflight = task
            return .join(task)
        }
        let task: Task<Result<OIDCKeySet, OIDCRejection>, Never>
        switch next {
        case .keepCache: return
        case .stillFailing: throw .providerUnavailable("the last discovery or JWKS fetch failed moments ago")
        case .join(let running): task = running
        }
        let result = await task.value
        state.withLock { state in
            guard state.inflight == task else { return }
            state.inflight = nil
            switch result {
            case .success(let keySet):
                state.keySet = keySet
                state.lastFetch = ContinuousClock.now
            case .failure:
                state.lastFailure = ContinuousClock.now
            }
        }
        if case .failure(let rejection) = result { throw rejection }
    }

    private func fetchKeySet() async -> Result<OIDCKeySet, OIDCRejection> {
        do {
            let discovery = try await fetchJSON(settings.discoveryURL)
            guard discovery["issuer"] as? String == settings.issuer else {
                return .failure(.providerUnavailable("the discovery document names another issuer"))
            }
            guard let jwksURI = discovery["jwks_uri"] as? String else {
                return .failure(.providerUnavailable("the discovery document has no jwks_uri"))
            }
            return .success(await OIDCKeySet.parse(try await fetchJSON(jwksURI)))
        } catch let rejection as OIDCRejection {
            return .failure(rejection)
        } catch {
            return .failure(.providerUnavailable("\(error)"))
        }
    }

    private func fetchJSON(_ url: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await http.execute(request, timeout: .milliseconds(Int64(settings.timeoutMilliseconds)))
        let body = try await response.body.collect(upTo: Self.maxDocumentBytes)
        guard response.status == .ok else { throw OIDCRejection.providerUnavailable("\(url) answered \(response.status.code)") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw OIDCRejection.providerUnavailable("\(url) is not a JSON object")
        }
        return object
    }
}
