import Foundation
import Provisioning

/// Why a message cannot be written; never carries the message body.
public enum MailError: Error, CustomStringConvertible, Equatable {
    /// A header value with CR or LF in it (header injection), no address, or a line over 998 octets.
    case invalidHeader(String)
    /// The transfer failed (the mail server's or the file system's words).
    case sendFailed(String)

    public var description: String {
        switch self {
        case .invalidHeader(let name): "mail header \(name) is invalid (line break, no address or too long)"
        case .sendFailed(let why): "mail not sent: \(why)"
        }
    }
}

/// An RFC 5322 message: multipart/alternative with a text/plain and a
/// text/html part, both UTF-8 and quoted-printable, CRLF line ends.
public enum RFC5322Message {
    public static func render(_ message: MailMessage, from: String, date: Date = Date(), messageID: String? = nil) throws(MailError) -> String {
        for (name, value) in [("From", from), ("To", message.to), ("Subject", message.subject)]
        where value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw .invalidHeader(name)
        }
        guard address(in: message.to) != nil else { throw .invalidHeader("To") }
        guard let sender = address(in: from) else { throw .invalidHeader("From") }
        let domain = sender.split(separator: "@").last.map(String.init) ?? "localhost"
        let boundary = "=_provisiond_\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let headers = [("From", mailbox(from)), ("To", mailbox(message.to))]
        for (name, value) in headers where value.split(separator: "\r\n").contains(where: { $0.utf8.count + name.utf8.count + 2 > 998 }) {
            throw .invalidHeader(name)
        }
        let lines = [
            "From: \(headers[0].1)",
            "To: \(headers[1].1)",
            "Subject: \(encodedWord(message.subject))",
            "Date: \(dateText(date))",
            "Message-ID: <\(messageID ?? UUID().uuidString.lowercased())@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            quotedPrintable(message.text),
            "--\(boundary)",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            quotedPrintable(message.html),
            "--\(boundary)--",
            "",
        ]
        return lines.joined(separator: "\r\n")
    }

    /// The bare address of `Name <user@host>` or `user@host`; nil if there is none.
    public static func address(in text: String) -> String? {
        var candidate = text.trimmingCharacters(in: .whitespaces)
        if let open = candidate.lastIndex(of: "<"), let close = candidate.lastIndex(of: ">"), open < close {
            candidate = String(candidate[candidate.index(after: open)..<close])
        }
        let parts = candidate.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              !candidate.contains(where: { $0 == " " || $0 == "<" || $0 == ">" || $0 == "," || $0.isNewline }) else { return nil }
        return candidate
    }

    /// `Name <user@host>` with a non-ASCII display name as RFC 2047 encoded
    /// words; anything else as given.
    static func mailbox(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") else { return trimmed }
        var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
        guard !name.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) else { return trimmed }
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
        return "\(encodedWord(name)) \(trimmed[open...])"
    }

    /// RFC 2047 encoded words (base64) when the text is not plain ASCII or too long.
    static func encodedWord(_ text: String) -> String {
        // Plain ASCII stays as is unless it would make a line over 998 octets;
        // encoded words are folded onto lines of their own.
        guard text.utf8.count > 900 || !text.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) else { return text }
        // Each word holds whole characters, at most 45 bytes (60 in base64).
        var words: [String] = []
        var chunk = Data()
        for character in text {
            let bytes = Data(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=")
                chunk = Data()
            }
            chunk.append(bytes)
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(chunk.base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Quoted-printable (RFC 2045 §6.7): lines of at most 76 characters.
    static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        return normalized.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var out = ""
            var width = 0
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast)
                let piece = literal ? String(UnicodeScalar(byte)) : String(format: "=%02X", byte)
                if width + piece.count > 75 {
                    out += "=\r\n"
                    width = 0
                }
                out += piece
                width += piece.count
            }
            return out
        }.joined(separator: "\r\n")
    }

    static func dateText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
