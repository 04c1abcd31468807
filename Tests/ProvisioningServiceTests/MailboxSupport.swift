import Foundation
import Testing

/// The `.eml` files the `file` mailer writes into a folder, read as a
/// recipient would: the text part decoded, the code and link taken from it.
struct Mailbox: Sendable {
    let directory: URL

    static func make() throws -> Mailbox {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("provisiond-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return Mailbox(directory: directory)
    }

    /// `credentials:` with `email_code` over this mailbox, plus `password`.
    func credentialsYAML(extra lines: [String] = []) -> String {
        (["credentials:", "  - kind: password", "  - kind: email_code"] + lines.map { "    " + $0 } + [
            "    mailer:", "      kind: file", "      directory: \(directory.path)", "      from: \"Demo App <no-reply@example.com>\"",
        ]).joined(separator: "\n")
    }

    /// The text parts of every mail to `email`, oldest first.
    func texts(to email: String) throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.creationDateKey])
            .filter { $0.pathExtension == "eml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.compactMap { file in
            let raw = try String(contentsOf: file, encoding: .utf8)
            guard Self.header("To", in: raw)?.lowercased().contains(email.lowercased()) == true else { return nil }
            return Self.textPart(of: raw)
        }
    }

    /// Wait until `count` mails to `email` are there (mail goes out after the
    /// 202, off the request); fails after 60 s.
    func waitForMails(to email: String, count: Int) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let texts = try texts(to: email)
            if texts.count >= count { return texts }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("no \(count) mail(s) to \(email) within 60 s")
    }

    /// The code in the newest mail to `email`.
    func code(to email: String, mails count: Int = 1) async throws -> String {
        let text = try #require(try await waitForMails(to: email, count: count).last)
        return try #require(Self.firstMatch(#"code is (\d{6,8})"#, in: text))
    }

    /// The magic link's token in the newest mail to `email`.
    func linkToken(to email: String, mails count: Int = 1) async throws -> String {
        let text = try #require(try await waitForMails(to: email, count: count).last)
        return try #require(Self.firstMatch(#"token=([A-Za-z0-9_\-]+)"#, in: text))
    }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    static func header(_ name: String, in raw: String) -> String? {
        let head = raw.components(separatedBy: "\r\n\r\n").first ?? raw
        for line in head.components(separatedBy: "\r\n") where line.lowercased().hasPrefix(name.lowercased() + ":") {
            return String(line.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// The decoded text/plain part (base64 or quoted-printable).
    static func textPart(of raw: String) -> String? {
        guard let type = raw.range(of: "Content-Type: text/plain", options: .caseInsensitive),
              let blank = raw.range(of: "\r\n\r\n", range: type.upperBound..<raw.endIndex) else { return nil }
        let headers = raw[type.lowerBound..<blank.lowerBound].lowercased()
        let rest = raw[blank.upperBound...]
        let body = String(rest[..<(rest.range(of: "\r\n--")?.lowerBound ?? rest.endIndex)])
        if headers.contains("content-transfer-encoding: base64") {
            return Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")).flatMap { String(data: $0, encoding: .utf8) }
        }
        if headers.contains("content-transfer-encoding: quoted-printable") { return decodeQuotedPrintable(body) }
        return body
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count,
               let value = UInt8(String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
