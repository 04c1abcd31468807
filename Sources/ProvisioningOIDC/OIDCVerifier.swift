import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import NIOFoundationCompat
import Synchronization

/// Verifies id_tokens of one issuer (CONTRACT.md §7).
///
/// - Algorithms: RS256 and ES256 only. The header's `alg` is checked before
///   any key lookup (`none`, every `HS*` and anything else are refused), and
///   the key must match the token's `kid` and be of the algorithm's type (an
///   RSA JWK for RS256, an EC P-256 JWK for ES256; a JWK that declares `alg`
///   declares that one). This defeats "HS256 keyed with the public key" and
///   "another key under a published kid".
/// - Keys: from the `jwks_uri` of `{issuer}/.well-known/openid-configuration`,
///   whose `issuer` must equal the configured one. The JWKS is cached; a
///   token with a `kid` not in the cache refetches it, at most once a minute
///   (concurrent refetches share one request; after a failed fetch another is
///   tried after 5 s). A known `kid` costs no network call.
/// - Claims: `iss`, `aud` (string or array), `exp` (60 s leeway), `iat`
///   (present, at most 60 s ahead), `nonce` when one is expected, `sub`,
///   `email`, and `email_verified` (bool or "true") when required.
public final class OIDCVerifier: Sendable {
    static let allowedAlgorithms: Set<String> = ["RS256", "ES256"]
    /// Clock skew allowed on `exp` and `iat`.
    static let leewaySeconds: TimeInterval = 60
    /// The contract's "at most once a minute" for refetches on an unknown kid.
    static let refetchIntervalSeconds: TimeInterval = 60
    /// After a failed fetch another may start this soon (the provider may be back);
    /// until then unknown kids are answered `providerUnavailable` without a request.
    static let retryAfterFailureSeconds: TimeInterval = 5
    /// Discovery documents and JWKS larger than this are refused.
    static let maxDocumentBytes = 1 << 20

    public let settings: OIDCSettings
    let http: HTTPClient
    let now: @Sendable () -> Date

    private typealias Fetch = Task<Result<OIDCKeySet, OIDCRejection>, Never>

    private struct State {
        var keySet = OIDCKeySet()
        /// When the last fetch started, and how it ended (nil while it runs).
        var lastAttempt: Date?
        var lastFailure: OIDCRejection?
        var inflight: Fetch?
    }

    private let state = Mutex(State())

    /// - Parameter now: the clock for claims (`exp`, `iat`) and for the
    ///   refetch limit; tests move it instead of sleeping.
    public init(settings: OIDCSettings, httpClient: HTTPClient = .shared, now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.http = httpClient
        self.now = now
    }

    public func verify(idToken: String, nonce: String?) async throws(OIDCRejection) -> OIDCIdentity {
        let parts = idToken.split(separator: ".", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.base64URLDecode(parts[0]),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else { throw .malformed }
        // The algorithm first: nothing else of the token is looked at under an algorithm we refuse.
        guard let alg = header["alg"] as? String else { throw .algorithmNotAllowed("(missing)") }
        guard Self.allowedAlgorithms.contains(alg) else { throw .algorithmNotAllowed(Self.loggable(alg)) }
        guard let kid = header["kid"] as? String, !kid.isEmpty else { throw .unknownKey }
        let key = try await key(kid: kid, algorithm: alg)

        guard let signature = Self.base64URLDecode(parts[2]), !signature.isEmpty else { throw .badSignature }
        let signingInput = Array(idToken.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard (try? key.verifier.verify(signature, signs: signingInput)) == true else { throw .badSignature }

        guard let payload = Self.base64URLDecode(parts[1]), let claims = try? JSONDecoder().decode(IDTokenClaims.self, from: payload) else {
            throw .malformed
        }
        return try check(claims, nonce: nonce)
    }

    /// The claims' rules, once the signature holds.
    func check(_ claims: IDTokenClaims, nonce: String?) throws(OIDCRejection) -> OIDCIdentity {
        let now = now().timeIntervalSince1970
        guard claims.iss == settings.issuer else { throw .wrongIssuer }
        guard let audience = claims.aud, audience.contains(settings.clientID) else { throw .wrongAudience }
        guard let exp = claims.exp else { throw .missingClaim("exp") }
        guard now < exp + Self.leewaySeconds else { throw .expired }
        guard let iat = claims.iat else { throw .missingClaim("iat") }
        guard iat <= now + Self.leewaySeconds else { throw .issuedInFuture }
        if let nonce, claims.nonce != nonce { throw .nonceMismatch }
        guard let subject = claims.sub, !subject.isEmpty else { throw .missingClaim("sub") }
        guard let email = claims.email, !email.isEmpty else { throw .noEmail }
        let verified = claims.emailVerified ?? false
        if settings.requireEmailVerified && !verified { throw .emailNotVerified }
        return OIDCIdentity(
            issuer: settings.issuer, subject: subject, email: email, emailVerified: verified,
            authTime: claims.authTime.map { Date(timeIntervalSince1970: $0) })
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        // base64url only: no padding, no '+' or '/'.
        guard text.utf8.allSatisfy({ byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    /// An attacker-chosen header value made safe and short for a log line.
    static func loggable(_ text: String) -> String {
        let safe = text.unicodeScalars.prefix(24).map { scalar -> Character in
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", "-", "_", "+", ".": Character(scalar)
            default: "?"
            }
        }
        return String(safe) + (text.unicodeScalars.count > 24 ? "..." : "")
    }

    // MARK: Keys

    private func key(kid: String, algorithm: String) async throws(OIDCRejection) -> OIDCKeySet.Key {
        let cached = state.withLock { $0.keySet }
        if cached.knows(kid: kid) {
            // A known kid under another algorithm is refused without a refetch.
            guard let key = cached.key(kid: kid, algorithm: algorithm) else { throw .unknownKey }
            return key
        }
        let refreshed = try await refetch()
        guard let key = refreshed.key(kid: kid, algorithm: algorithm) else { throw .unknownKey }
        return key
    }

    /// The key set after fetching discovery and JWKS, unless a fetch started
    /// in the last minute (then the cached set), or failed in the last 5 s
    /// (then `providerUnavailable`); joins a fetch already running.
    private func refetch() async throws(OIDCRejection) -> OIDCKeySet {
        enum Next { case join(Fetch), cached(OIDCKeySet), stillFailing(OIDCRejection) }
        let next: Next = state.withLock { state in
            if let running = state.inflight { return .join(running) }
            let now = now()
            if let last = state.lastAttempt {
                let elapsed = now.timeIntervalSince(last)
                // A clock that went back does not hold fetches off.
                if elapsed >= 0 {
                    if let failure = state.lastFailure, elapsed < Self.retryAfterFailureSeconds { return .stillFailing(failure) }
                    if state.lastFailure == nil, elapsed < Self.refetchIntervalSeconds { return .cached(state.keySet) }
                }
            }
            state.lastAttempt = now
            let task: Fetch = Task { await self.fetchAndStore() }
            state.inflight = task
            return .join(task)
        }
        switch next {
        case .cached(let keySet):
            return keySet
        case .stillFailing(let failure):
            throw failure
        case .join(let task):
            return try await task.value.get()
        }
    }

    /// One fetch; it records its own outcome, so callers that stop waiting
    /// (or a cancelled request) do not leave the state behind.
    private func fetchAndStore() async -> Result<OIDCKeySet, OIDCRejection> {
        let result = await fetchKeySet()
        state.withLock { state in
            state.inflight = nil
            switch result {
            case .success(let keySet):
                state.keySet = keySet
                state.lastFailure = nil
            case .failure(let rejection):
                // The cache stays: known kids keep working while the provider is down.
                state.lastFailure = rejection
            }
        }
        return result
    }

    private func fetchKeySet() async -> Result<OIDCKeySet, OIDCRejection> {
        do {
            let discovery = try await fetchJSON(settings.discoveryURL, what: "discovery document")
            guard discovery["issuer"] as? String == settings.issuer else {
                return .failure(.providerUnavailable("the discovery document names another issuer than '\(settings.issuer)'"))
            }
            guard let jwksURI = discovery["jwks_uri"] as? String, let url = URL(string: jwksURI),
                  url.scheme == "https" || (url.scheme == "http" && settings.issuer.hasPrefix("http://")) else {
                return .failure(.providerUnavailable("the discovery document has no usable jwks_uri"))
            }
            let jwks = try await fetchJSON(jwksURI, what: "JWKS")
            guard jwks["keys"] is [Any] else { return .failure(.providerUnavailable("the JWKS at \(jwksURI) has no keys array")) }
            return .success(await OIDCKeySet.parse(jwks))
        } catch let rejection as OIDCRejection {
            return .failure(rejection)
        } catch {
            return .failure(.providerUnavailable("\(error)"))
        }
    }

    struct FetchTimeout: Error, CustomStringConvertible {
        let milliseconds: Int
        var description: String { "no complete answer within \(milliseconds) ms" }
    }

    /// GET `url` as a JSON object, the whole exchange (body included) within
    /// the timeout and at most `maxDocumentBytes`; any failure is `providerUnavailable`.
    private func fetchJSON(_ url: String, what: String) async throws -> [String: Any] {
        let milliseconds = settings.timeoutMilliseconds
        let data: Data
        do {
            data = try await withThrowingTaskGroup(of: Data?.self) { group in
                group.addTask { try await self.fetchBody(url, what: what) }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(milliseconds))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let body = first else { throw FetchTimeout(milliseconds: milliseconds) }
                return body
            }
        } catch let rejection as OIDCRejection {
            throw rejection
        } catch is NIOTooManyBytesError {
            throw OIDCRejection.providerUnavailable("the \(what) at \(url) is larger than \(Self.maxDocumentBytes) bytes")
        } catch {
            throw OIDCRejection.providerUnavailable("the \(what) at \(url) could not be read: \(error)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw OIDCRejection.providerUnavailable("the \(what) at \(url) is not a JSON object")
        }
        return object
    }

    private func fetchBody(_ url: String, what: String) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await http.execute(request, timeout: .milliseconds(Int64(settings.timeoutMilliseconds)))
        guard response.status == .ok else {
            throw OIDCRejection.providerUnavailable("the \(what) at \(url) answered \(response.status.code)")
        }
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > Self.maxDocumentBytes {
            throw NIOTooManyBytesError(maxBytes: Self.maxDocumentBytes)
        }
        return Data(buffer: try await response.body.collect(upTo: Self.maxDocumentBytes))
    }
}
