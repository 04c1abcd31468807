import Logging
import Metrics

/// One mail to one recipient: a plain-text part and an HTML part
/// (multipart/alternative). The sender is the mailer's own `from`.
public struct MailMessage: Sendable, Equatable {
    public var to: String
    public var subject: String
    public var text: String
    public var html: String

    public init(to: String, subject: String, text: String, html: String) {
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// Sends mail. A failure is thrown to the caller, which logs and counts it;
/// it is never shown to the client who asked for the mail.
public protocol Mailer: Sendable {
    func send(_ message: MailMessage) async throws
}

/// Everything a mailer is built with besides its own section.
public struct MailerContext: Sendable {
    public var logger: Logger
    public var metrics: any MetricsFactory

    public init(logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.logger = logger
        self.metrics = metrics
    }
}

/// A mailer kind (`smtp`, `file`), registered by `kind` like providers. Its
/// section is the `mailer:` mapping of a credential kind that sends mail.
public protocol MailerFactory: Sendable {
    associatedtype Settings: Sendable
    var kind: String { get }
    /// A commented YAML sample of the `mailer:` section.
    var sampleConfig: String { get }
    /// Read the section; problems are reported on it (file:line:column).
    func decode(_ section: ConfigSection) -> Settings?
    func make(_ settings: Settings, context: MailerContext) throws -> any Mailer
}

public struct AnyMailerFactory: Sendable {
    public let kind: String
    public let sampleConfig: String
    let decode: @Sendable (ConfigSection) -> (any Sendable)?
    let make: @Sendable (any Sendable, MailerContext) throws -> any Mailer

    public init<F: MailerFactory>(_ factory: F) {
        kind = factory.kind
        sampleConfig = factory.sampleConfig
        decode = { factory.decode($0) }
        make = { settings, context in
            guard let typed = settings as? F.Settings else { throw RegistryError.settingsMismatch(factory.kind) }
            return try factory.make(typed, context: context)
        }
    }
}

/// A decoded `mailer:` section: its kind and settings, built on demand.
public struct MailerDeclaration: Sendable {
    public var kind: String
    public var settings: any Sendable
    let factory: AnyMailerFactory

    public func make(context: MailerContext) throws -> any Mailer {
        try factory.make(settings, context)
    }
}
