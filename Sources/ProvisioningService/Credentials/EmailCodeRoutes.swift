import Foundation
import Hummingbird
import Logging
import Provisioning

/// `POST /api/auth/code/start` and `POST /api/auth/code/verify` (CONTRACT.md §7).
struct EmailCodeRoutes: CredentialRoutes {
    let signIn: SignInContext
    let settings: EmailCodeSettings
    let codes: any SignInCodeStore
    let mail: CodeMail

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/auth/code/start") { request, context in try await start(request, context) }
        router.post("/api/auth/code/verify") { request, context in try await verify(request, context) }
    }

    struct StartRequest: Decodable {
        let email: String
    }

    /// Always the same 202 body, no earlier than the failure floor, for a
    /// store user, a source-only user (provisioned first), a deleted user,
    /// an unknown email and an email over its code budget; only the first
    /// two get a mail. 503 as for login when a source that could hold the
    /// email is down.
    func start(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body: StartRequest = try await RequestBody.decode(request, context)
        let emailKey = try SignInContext.emailKey(body.email)
        return try await signIn.attempt(emailKey: emailKey, request: request, context: context, arrival: arrival) {
            if let user = try await signIn.usableUser(email: body.email) {
                try await fileAndMail(to: user, emailKey: emailKey)
            }
            await signIn.failureFloor.wait(since: arrival)
            return try jsonResponse(["status": "sent"], status: .accepted, headers: [.cacheControl: "no-store"])
        }
    }

    private func fileAndMail(to user: StoredUser, emailKey: String) async throws {
        let code = SignInSecrets.code(digits: settings.codeDigits)
        let token = settings.linkURL == nil ? nil : SignInSecrets.linkToken()
        let filed = NewSignInCode(
            email: emailKey, userID: user.id, codeHash: SignInSecrets.codeHash(email: emailKey, code: code),
            tokenHash: token.map(SignInSecrets.tokenHash), ttlSeconds: settings.codeTTLSeconds, maxAttempts: settings.maxAttempts)
        let issued = try await signIn.storeCall(orElse: SignInContext.invalidCredentials) {
            try await codes.issue(filed, maxPerWindow: settings.maxCodesPerWindow, windowSeconds: settings.windowSeconds)
        }
        guard issued else {
            signIn.logger.info("auth.code_budget_spent", metadata: ["event": "auth.code_budget_spent", "email": .string(EmailMask.mask(emailKey))])
            return
        }
        mail.sendDetached(mail.message(to: user.email, code: code, token: token))
    }

    struct VerifyRequest: Decodable {
        let email: String?
        let code: String?
        let token: String?
    }

    /// `{"email", "code"}` or `{"token"}`: the login body, or one 401 for a
    /// wrong, expired, used or voided code or token.
    func verify(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body: VerifyRequest = try await RequestBody.decode(request, context)
        let redeem: () async throws -> UUID?
        let throttleKey: String
        switch (body.email, body.code, body.token) {
        case (let email?, let code?, nil):
            let emailKey = try SignInContext.emailKey(email)
            throttleKey = emailKey
            redeem = { code.utf8.count > 16 ? nil : try await codes.redeem(email: emailKey, codeHash: SignInSecrets.codeHash(email: emailKey, code: code)) }
        case (nil, nil, let token?):
            let tokenHash = SignInSecrets.tokenHash(token)
            // A link has no email to throttle by: its own hash stands in (the address limit still applies).
            throttleKey = "link:" + tokenHash.prefix(32)
            redeem = { try await codes.redeem(tokenHash: tokenHash) }
        default:
            throw APIError(.badRequest, "invalid_request", detail: "send {\"email\", \"code\"} or {\"token\"}")
        }
        return try await signIn.attempt(emailKey: throttleKey, request: request, context: context, arrival: arrival) {
            guard let userID = try await signIn.storeCall(orElse: SignInContext.invalidCredentials, redeem),
                  let user = try await signIn.resolve(orElse: SignInContext.invalidCredentials, { try await signIn.resolver.resolve(userID: userID, links: [:]) }),
                  signIn.softDelete.allowsLogin(user) else {
                signIn.logger.info("auth.code_refused", metadata: ["event": "auth.code_refused"])
                throw SignInContext.invalidCredentials
            }
            return try await signIn.issueTokens(for: user, signIn: SignIn(method: .oneTimeCode, at: Date()))
        }
    }
}
