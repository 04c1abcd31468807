import Provisioning

/// The `email_code` entry of `credentials:` (CONTRACT.md §7).
struct EmailCodeSettings: Sendable {
    var codeTTLSeconds = 600
    var maxAttempts = 5
    var maxCodesPerWindow = 3
    var windowSeconds = 900
    /// Digits in a code (6 to 8).
    var codeDigits = 6
    /// A magic link: `{token}` is replaced by a single-use token; nil: none.
    var linkURL: String?
    var subject = "Your sign-in code"
    var mailer: MailerDeclaration
}

/// Kind `email_code`: `POST /api/auth/code/start` and `/api/auth/code/verify`.
struct EmailCodeCredentialFactory: CredentialRoutesFactory {
    let kind = "email_code"
    let sampleConfig = """
        - kind: email_code             # POST /api/auth/code/start, /api/auth/code/verify
          code_ttl_s: 600
          max_attempts: 5              # wrong codes before the code is void
          max_codes_per_window: 3      # codes mailed per email per window_s (more: 202, nothing sent)
          window_s: 900
          code_digits: 6               # 6 to 8
          link_url: https://app.example.com/sign-in?token={token}   # optional: a magic link in the mail
          subject: Your sign-in code
          mailer:
            kind: smtp                 # or: {kind: file, directory: ./mail}
            host: 127.0.0.1
            port: 587
            tls: starttls              # starttls | implicit | none (none only for a loopback host)
            username: ""
            password: ""
            from: "Example App <no-reply@example.com>"
        """

    func decode(_ section: ConfigSection, registry: KindRegistry) -> EmailCodeSettings? {
        let ttl = section.int("code_ttl_s", default: 600, range: 1...86_400)
        let attempts = section.int("max_attempts", default: 5, range: 1...100)
        let perWindow = section.int("max_codes_per_window", default: 3, range: 1...1000)
        let window = section.int("window_s", default: 900, range: 1...86_400)
        let digits = section.int("code_digits", default: 6, range: 6...8)
        let link = section.string("link_url")
        if let link, !link.contains("{token}") || !(link.hasPrefix("https://") || link.hasPrefix("http://")) {
            section.problem(at: "link_url", "expected an http(s) URL containing {token}")
        }
        let subject = section.string("subject", default: "Your sign-in code")
        if subject.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) { section.problem(at: "subject", "must be one line") }
        guard let mailer = section.mailer(registry: registry) else { return nil }
        return EmailCodeSettings(
            codeTTLSeconds: ttl, maxAttempts: attempts, maxCodesPerWindow: perWindow, windowSeconds: window, codeDigits: digits,
            linkURL: link, subject: subject, mailer: mailer)
    }

    func routes(_ settings: EmailCodeSettings, context: CredentialRouteContext) async throws -> any CredentialRoutes {
        guard let codes = context.pipeline.signInCodes else {
            throw CredentialRoutesError.missingStoreCapability(kind: kind, capability: "sign-in codes")
        }
        let mailer = try settings.mailer.make(context: MailerContext(logger: context.signIn.logger, metrics: context.options.metrics))
        return EmailCodeRoutes(signIn: context.signIn, settings: settings, codes: codes, mail: CodeMail(settings: settings, mailer: mailer,
            logger: context.signIn.logger, metrics: context.options.metrics))
    }
}
