import Logging
import Metrics
import Provisioning

/// The sign-in mail: plain text and HTML with the code and, when
/// `link_url` is set, the link. Sent off the request, so that the start
/// route's time does not depend on the mail server; a failure is logged
/// (email masked, never the code) and counted, never shown to the caller.
struct CodeMail: Sendable {
    let settings: EmailCodeSettings
    let mailer: any Mailer
    let logger: Logger
    let sent: Counter
    let failed: Counter

    init(settings: EmailCodeSettings, mailer: any Mailer, logger: Logger, metrics: any MetricsFactory) {
        self.settings = settings
        self.mailer = mailer
        self.logger = logger
        self.sent = Counter(label: "auth_code_mails_sent", factory: metrics)
        self.failed = Counter(label: "auth_code_mails_failed", factory: metrics)
    }

    func message(to address: String, code: String, token: String?) -> MailMessage {
        let minutes = max(1, settings.codeTTLSeconds / 60)
        let link = token.flatMap { token in settings.linkURL?.replacingOccurrences(of: "{token}", with: token) }
        var text = "Your sign-in code is \(code).\n\nIt works once, for \(minutes) minutes.\n"
        var html = "<p>Your sign-in code is <strong>\(code)</strong>.</p>\n<p>It works once, for \(minutes) minutes.</p>\n"
        if let link {
            text += "\nOr open this link to sign in:\n\(link)\n"
            html += "<p>Or <a href=\"\(Self.escapeHTML(link))\">sign in with this link</a>.</p>\n"
        }
        text += "\nIf you did not ask to sign in, ignore this mail.\n"
        html += "<p>If you did not ask to sign in, ignore this mail.</p>\n"
        return MailMessage(to: address, subject: settings.subject, text: text, html: html)
    }

    /// Send in the background; returns at once.
    func sendDetached(_ message: MailMessage) {
        let masked = EmailMask.mask(message.to)
        Task { [mailer, logger, sent, failed] in
            do {
                try await mailer.send(message)
                sent.increment()
                logger.info("auth.code_sent", metadata: ["event": "auth.code_sent", "email": .string(masked)])
            } catch {
                failed.increment()
                logger.error("auth.code_mail_failed", metadata: ["event": "auth.code_mail_failed", "email": .string(masked), "detail": .string("\(error)")])
            }
        }
    }

    static func escapeHTML(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
