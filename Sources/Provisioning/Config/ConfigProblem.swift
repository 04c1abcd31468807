/// One problem found in a config file, printed as `file:line:column: path: message`.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// Where in the document: `providers[1].timeout_ms`; empty at the top.
    public var path: String
    public var message: String

    public var description: String {
        path.isEmpty ? "\(file):\(line):\(column): \(message)" : "\(file):\(line):\(column): \(path): \(message)"
    }
}

/// Every problem found in a config file; thrown once, after all are collected.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Collects problems while a config is decoded. Used on one task only.
public final class ConfigDiagnostics {
    public let file: String
    let environment: [String: String]
    public private(set) var problems: [ConfigProblem] = []

    public init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    public func report(line: Int, column: Int, path: String, _ message: String) {
        problems.append(ConfigProblem(file: file, line: line, column: column, path: path, message: message))
    }
}
