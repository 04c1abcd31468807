import Foundation
import Provisioning
import ProvisioningMail
import Testing

@Suite("Mailer file and the RFC 5322 message")
struct FileMailerTests {
    @Test("one .eml per mail, which parses back: headers, two parts, non-ASCII text and subject")
    func writesParseableMail() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mail-\(UUID().uuidString)")
        let mailer = FileMailer(settings: FileMailerSettings(directory: directory.path, from: "Démo <no-reply@example.com>"))
        let text = "Grüße, Zoë! Your code is 123456.\nA long line: " + String(repeating: "é", count: 120)
        try await mailer.send(MailMessage(to: "zoe@example.com", subject: "Ihr Anmeldecode für Zoë", text: text, html: "<p>Grüße</p>"))
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        #expect(files.count == 1 && files[0].pathExtension == "eml")
        let raw = try String(contentsOf: files[0], encoding: .utf8)
        #expect(raw.contains("\r\nTo: zoe@example.com\r\n"))
        #expect(raw.contains("\r\nMIME-Version: 1.0\r\n"))
        #expect(raw.split(separator: "\r\n", omittingEmptySubsequences: false).allSatisfy { $0.utf8.count <= 998 })
        #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "bare LF")
        let subject = try #require(raw.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") })
        #expect(Self.decodeWords(String(subject.dropFirst(9)) + Self.continuation(after: "Subject: ", in: raw)) == "Ihr Anmeldecode für Zoë")
        let from = try #require(raw.split(separator: "\r\n").first { $0.hasPrefix("From: ") })
        #expect(Self.decodeWords(String(from.dropFirst(6)) + Self.continuation(after: "From: ", in: raw)) == "Démo<no-reply@example.com>")
        let head = try #require(raw.components(separatedBy: "\r\n\r\n").first)
        let asciiHead = head.unicodeScalars.allSatisfy { $0.isASCII }
        #expect(asciiHead, "headers must be ASCII (RFC 2047 for the rest)")
        #expect(raw.components(separatedBy: "Content-Transfer-Encoding: quoted-printable").count == 3, "two parts")
        #expect(Self.textPart(raw) == text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(Self.textPart(raw, type: "text/html") == "<p>Grüße</p>")
    }

    @Test("a header line over 998 octets is refused; a long ASCII subject is folded")
    func longHeaders() throws {
        let long = String(repeating: "a", count: 1_000)
        #expect(throws: MailError.invalidHeader("To")) {
            try RFC5322Message.render(MailMessage(to: "\(long)@example.com", subject: "s", text: "t", html: "h"), from: "a@example.com")
        }
        let raw = try RFC5322Message.render(MailMessage(to: "b@example.com", subject: long, text: "t", html: "h"), from: "a@example.com")
        #expect(raw.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })
        let subject = try #require(raw.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") })
        #expect(Self.decodeWords(String(subject.dropFirst(9)) + Self.continuation(after: "Subject: ", in: raw)) == long)
    }

    /// Folded header lines after `name` (RFC 5322 §2.2.3).
    static func continuation(after name: String, in raw: String) -> String {
        let lines = raw.components(separatedBy: "\r\n")
        guard let index = lines.firstIndex(where: { $0.hasPrefix(name) }) else { return "" }
        return lines[(index + 1)...].prefix { $0.hasPrefix(" ") }.joined()
    }

    static func decodeWords(_ header: String) -> String {
        header.split(separator: " ").map { word -> String in
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return String(word) }
            let base64 = word.dropFirst(10).dropLast(2)
            return Data(base64Encoded: String(base64)).flatMap { String(data: $0, encoding: .utf8) } ?? ""
        }.joined()
    }

    static func textPart(_ raw: String, type contentType: String = "text/plain") -> String? {
        guard let type = raw.range(of: "Content-Type: \(contentType)"),
              let blank = raw.range(of: "\r\n\r\n", range: type.upperBound..<raw.endIndex) else { return nil }
        let rest = raw[blank.upperBound...]
        let body = rest[..<(rest.range(of: "\r\n--")?.lowerBound ?? rest.endIndex)].replacingOccurrences(of: "=\r\n", with: "")
        var bytes: [UInt8] = []
        var index = body.utf8.startIndex
        let utf8 = body.utf8
        while index < utf8.endIndex {
            if utf8[index] == UInt8(ascii: "="), let end = utf8.index(index, offsetBy: 3, limitedBy: utf8.endIndex),
               let value = UInt8(String(decoding: utf8[utf8.index(after: index)..<end], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index = end
            } else {
                bytes.append(utf8[index])
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("a folder that cannot be written is a send failure, not a crash")
    func unwritable() async throws {
        let mailer = FileMailer(settings: FileMailerSettings(directory: "/proc/provisiond-no-such-dir", from: "a@example.com"))
        await #expect(throws: MailError.self) {
            try await mailer.send(MailMessage(to: "b@example.com", subject: "s", text: "t", html: "h"))
        }
    }
}
