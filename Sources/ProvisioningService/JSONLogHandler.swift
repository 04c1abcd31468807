import Foundation
import Logging
import Synchronization

/// Writes one JSON object per line: `ts`, `level`, `event`, `logger` and the
/// metadata. Keys that name secrets are dropped, never written.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let write: @Sendable (String) -> Void

    /// Keys whose values must never reach a log line.
    static let secretKeys: Set<String> = ["password", "password_hash", "token", "access_token", "refresh_token", "secret", "authorization", "signature"]

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardOutput) {
        self.label = label
        self.write = write
    }

    private static let stdoutLock = Mutex(())

    public static let standardOutput: @Sendable (String) -> Void = { line in
        stdoutLock.withLock { _ in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: Logger.Metadata = [:]
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for (key, value) in merged where !Self.secretKeys.contains(key.lowercased()) {
            object[key] = value
        }
        object["ts"] = .string(JSONLine.timestamp())
        object["level"] = .string(event.level.rawValue)
        object["logger"] = .string(label)
        let eventName = object["event"].map(\.description) ?? "message"
        object["event"] = .string(eventName)
        let message = event.message.description
        if message != eventName { object["message"] = .string(message) }
        write(JSONLine.encode(object))
    }
}
