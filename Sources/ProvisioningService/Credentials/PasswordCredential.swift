import Foundation
import Hummingbird
import Logging
import Provisioning

/// Kind `password`: `POST /api/auth/login` and `POST /api/auth/password`
/// (CONTRACT.md §3, §7).
extension PasswordCredentialFactory: CredentialRoutesFactory {
    func routes(_ settings: PasswordCredentialSettings, context: CredentialRouteContext) async throws -> any CredentialRoutes {
        PasswordRoutes(signIn: context.signIn)
    }
}

struct PasswordRoutes: CredentialRoutes {
    let signIn: SignInContext

    /// A code or id_token sign-in this recent lets a user set a password
    /// without the current one (CONTRACT.md §7).
    static let recentSignInSeconds: TimeInterval = 600

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/auth/login") { request, context in try await login(request, context) }
        router.post("/api/auth/password") { request, context in try await setPassword(request, context) }
    }

    struct LoginRequest: Decodable {
        let email: String
        let password: String
    }

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body: LoginRequest = try await RequestBody.decode(request, context)
        guard body.password.utf8.count <= PasswordVerifier.maxPasswordBytes else {
            throw APIError(.badRequest, "invalid_request", detail: "password is longer than 72 bytes")
        }
        let emailKey = try SignInContext.emailKey(body.email)
        return try await signIn.attempt(emailKey: emailKey, request: request, context: context, arrival: arrival) {
            let usable = try await signIn.usableUser(email: body.email)
            // A hash is verified in every case, so every failure takes about as long.
            guard try await signIn.passwords.verify(body.password, hash: usable?.passwordHash), let usable else {
                signIn.logger.info("auth.login_failed", metadata: ["event": "auth.login_failed", "email": .string(EmailMask.mask(emailKey))])
                throw SignInContext.invalidCredentials
            }
            await rehashIfNeeded(body.password, of: usable)
            return try await signIn.issueTokens(for: usable, signIn: SignIn(method: .password, at: Date()))
        }
    }

    /// After a successful login, store the password at `auth.bcrypt_cost`
    /// when the stored hash has another cost or `$2y$` (an app-side write).
    /// A failure here is logged; the login still succeeds.
    private func rehashIfNeeded(_ password: String, of user: StoredUser) async {
        guard let hash = user.passwordHash else { return }
        let userID = user.id.uuidString.lowercased()
        do {
            guard let fresh = try await signIn.passwords.rehash(password, verified: hash, cost: signIn.auth.bcryptCost) else { return }
            guard try await signIn.store.replacePasswordHash(id: user.id, verified: hash, fresh: fresh) else { return }
            signIn.logger.info("auth.password_rehashed", metadata: ["event": "auth.password_rehashed", "user_id": .string(userID)])
        } catch {
            signIn.logger.warning("auth.rehash_failed", metadata: ["event": "auth.rehash_failed", "user_id": .string(userID), "detail": .string("\(error)")])
        }
    }

    struct SetPasswordRequest: Decodable {
        let password: String
        let currentPassword: String?
        enum CodingKeys: String, CodingKey {
            case password
            case currentPassword = "current_password"
        }
    }

    /// Set or change the password: 204. `current_password` is needed when
    /// the user has one, unless the token came from a code or id_token
    /// sign-in in the last 10 minutes.
    func setPassword(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let (user, claims) = try await signIn.authenticatedUser(request, recentIsEnough: false)
        let body: SetPasswordRequest = try await RequestBody.decode(request, context)
        guard body.password.utf8.count <= PasswordVerifier.maxPasswordBytes else {
            throw APIError(.badRequest, "invalid_request", detail: "password is longer than 72 bytes")
        }
        guard body.password.count >= 8 else {
            throw APIError(.badRequest, "invalid_request", detail: "password is shorter than 8 characters")
        }
        if user.passwordHash != nil && !claims.isRecentPasswordlessSignIn(within: Self.recentSignInSeconds, now: Date()) {
            guard let current = body.currentPassword, current.utf8.count <= PasswordVerifier.maxPasswordBytes,
                  try await signIn.passwords.verify(current, hash: user.passwordHash) else {
                signIn.logger.info("auth.password_refused", metadata: ["event": "auth.password_refused", "user_id": .string(user.id.uuidString.lowercased())])
                await signIn.failureFloor.wait(since: arrival)
                throw SignInContext.invalidCredentials
            }
        }
        let hash = try await signIn.passwords.hash(body.password, cost: signIn.auth.bcryptCost)
        let refused = APIError(.badRequest, "invalid_request", detail: "password cannot be stored")
        guard try await signIn.storeCall(orElse: refused, {
            try await signIn.store.updateFromApp(id: user.id, values: [Attribute.passwordHash: hash])
        }) != nil else { throw SignInContext.invalidToken }
        signIn.logger.info("auth.password_set", metadata: ["event": "auth.password_set", "user_id": .string(user.id.uuidString.lowercased())])
        return Response(status: .noContent)
    }
}
