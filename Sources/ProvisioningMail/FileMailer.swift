import Foundation
import Provisioning

public struct FileMailerSettings: Sendable, Equatable {
    public var directory: String
    public var from: String

    public init(directory: String, from: String) {
        self.directory = directory
        self.from = from
    }
}

/// Mailer kind `file`: each mail is one RFC 5322 `.eml` file in a folder
/// (demos and tests on one machine). Names sort by time of writing.
public struct FileMailerFactory: MailerFactory {
    public init() {}
    public let kind = "file"
    public let sampleConfig = """
        mailer:
          kind: file                   # each mail is an .eml file in `directory` (demos, tests)
          directory: ./mail            # created when missing
          from: "provisiond <no-reply@localhost>"
        """

    public func decode(_ section: ConfigSection) -> FileMailerSettings? {
        let directory = section.requiredString("directory")
        if let directory, directory.isEmpty { section.problem(at: "directory", "must not be empty") }
        let from = section.string("from", default: "provisiond <no-reply@localhost>")
        if RFC5322Message.address(in: from) == nil || from.contains(where: { $0.isNewline }) {
            section.problem(at: "from", "expected an address such as \"App <no-reply@example.com>\", got '\(from)'")
        }
        guard let directory else { return nil }
        return FileMailerSettings(directory: directory, from: from)
    }

    public func make(_ settings: FileMailerSettings, context: MailerContext) throws -> any Mailer {
        FileMailer(settings: settings)
    }
}

public struct FileMailer: Mailer {
    let settings: FileMailerSettings

    public init(settings: FileMailerSettings) {
        self.settings = settings
    }

    public func send(_ message: MailMessage) async throws {
        let text = try RFC5322Message.render(message, from: settings.from)
        let directory = URL(fileURLWithPath: settings.directory, isDirectory: true)
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        let name = String(format: "%016llu", millis) + "-" + UUID().uuidString.lowercased()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // Written whole, then renamed: a reader never sees half a mail.
            let temporary = directory.appendingPathComponent(".\(name).tmp")
            try Data(text.utf8).write(to: temporary)
            try FileManager.default.moveItem(at: temporary, to: directory.appendingPathComponent("\(name).eml"))
        } catch {
            throw MailError.sendFailed("cannot write to \(settings.directory): \(error.localizedDescription)")
        }
    }
}
