import CProvisiondCurl
import Foundation
import NIOPosix
import Provisioning

public struct SMTPSettings: Sendable, Equatable {
    public enum TLS: String, Sendable, CaseIterable {
        /// Plain connection upgraded by STARTTLS, which is required.
        case starttls
        /// TLS from the first byte (SMTPS, usually port 465).
        case implicit
        /// No TLS: only for a loopback host.
        case none
    }

    public var host: String
    public var port: Int
    public var tls: TLS
    public var username: String?
    public var password: String?
    public var from: String
    public var timeoutMilliseconds: Int
    /// Extra trusted CAs (PEM) for the server certificate; nil: the system's.
    public var caFile: String?

    public init(
        host: String, port: Int, tls: TLS, username: String? = nil, password: String? = nil, from: String,
        timeoutMilliseconds: Int = 10_000, caFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
        self.from = from
        self.timeoutMilliseconds = timeoutMilliseconds
        self.caFile = caFile
    }

    /// `localhost`, `::1` or an IPv4 address in 127.0.0.0/8 (a dotted quad:
    /// a name such as `127.example.com` is not loopback).
    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "localhost." || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { octet in
            !octet.isEmpty && octet.count <= 3 && octet.allSatisfy(\.isASCII) && octet.allSatisfy(\.isNumber) && Int(octet).map { $0 <= 255 } == true
        }
    }
}

/// Mailer kind `smtp`: libcurl's SMTP client (STARTTLS by default, implicit
/// TLS, AUTH PLAIN/LOGIN as the server offers; the certificate is verified).
public struct SMTPMailerFactory: MailerFactory {
    public init() {}
    public let kind = "smtp"
    public let sampleConfig = """
        mailer:
          kind: smtp
          host: 127.0.0.1
          port: 587
          tls: starttls                # starttls (default) | implicit | none (none only for a loopback host)
          username: ""                 # empty: no AUTH
          password: ""
          from: "Example App <no-reply@example.com>"
          timeout_ms: 10000
          # ca_file: /etc/ssl/private-ca.pem   # extra trusted CAs for the server certificate
        """

    public func decode(_ section: ConfigSection) -> SMTPSettings? {
        let host = section.string("host", default: "127.0.0.1")
        if host.isEmpty || host.contains(where: { $0 == "/" || $0 == "@" || $0.isWhitespace }) {
            section.problem(at: "host", "expected a host name or address, got '\(host)'")
        }
        let port = section.int("port", default: 587, range: 1...65_535)
        let tls = section.choice("tls", default: SMTPSettings.TLS.starttls)
        if tls == .none && !SMTPSettings.isLoopback(host) {
            section.problem(at: "tls", "tls: none is allowed only for a loopback host (127.0.0.1, ::1, localhost), not '\(host)'")
        }
        let username = section.string("username", default: "")
        let password = section.string("password", default: "")
        if username.isEmpty != password.isEmpty { section.problem(at: "username", "set both username and password, or neither") }
        let from = section.requiredString("from")
        if let from, RFC5322Message.address(in: from) == nil || from.contains(where: { $0.isNewline }) {
            section.problem(at: "from", "expected an address such as \"App <no-reply@example.com>\", got '\(from)'")
        }
        let timeout = section.int("timeout_ms", default: 10_000, range: 100...300_000)
        let caFile = section.string("ca_file")
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            section.problem(at: "ca_file", "cannot read the CA file '\(caFile)'")
        }
        guard let from else { return nil }
        return SMTPSettings(
            host: host, port: port, tls: tls, username: username.isEmpty ? nil : username, password: password.isEmpty ? nil : password,
            from: from, timeoutMilliseconds: timeout, caFile: caFile)
    }

    public func make(_ settings: SMTPSettings, context: MailerContext) throws -> any Mailer {
        SMTPMailer(settings: settings)
    }
}

public struct SMTPMailer: Mailer {
    let settings: SMTPSettings

    public init(settings: SMTPSettings) {
        self.settings = settings
    }

    var url: String {
        let host = settings.host.contains(":") && !settings.host.hasPrefix("[") ? "[\(settings.host)]" : settings.host
        return "\(settings.tls == .implicit ? "smtps" : "smtp")://\(host):\(settings.port)"
    }

    public func send(_ message: MailMessage) async throws {
        let text = try RFC5322Message.render(message, from: settings.from)
        guard let sender = RFC5322Message.address(in: settings.from) else { throw MailError.invalidHeader("From") }
        guard let recipient = RFC5322Message.address(in: message.to) else { throw MailError.invalidHeader("To") }
        let settings = settings
        let url = url
        // libcurl's transfer blocks: it runs on the thread pool, never the event loop.
        let failure: String? = try await NIOThreadPool.singleton.runIfActive {
            Self.transfer(url: url, settings: settings, sender: sender, recipient: recipient, message: text)
        }
        if let failure { throw MailError.sendFailed(failure) }
    }

    /// One blocking transfer; nil on success, else what failed.
    static func transfer(url: String, settings: SMTPSettings, sender: String, recipient: String, message: String) -> String? {
        var errorText = [CChar](repeating: 0, count: 512)
        let code: Int32 = url.withCString { url in
            sender.withCString { sender in
                recipient.withCString { recipient in
                    withOptionalCString(settings.username) { username in
                        withOptionalCString(settings.password) { password in
                            withOptionalCString(settings.caFile) { caFile in
                                message.withCString { body in
                                    var request = provisiond_smtp_request(
                                        url: url, require_tls: settings.tls == .starttls ? 1 : 0, username: username, password: password,
                                        ca_file: caFile, mail_from: sender, mail_rcpt: recipient, message: body,
                                        message_length: message.utf8.count, timeout_ms: settings.timeoutMilliseconds)
                                    return provisiond_smtp_send(&request, &errorText, errorText.count)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard code != 0 else { return nil }
        return String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

private func withOptionalCString<T>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
