extension ConfigSection {
    /// The `mailer:` mapping of this section, decoded by its kind's factory
    /// from `registry`; nil (reported) when missing, unknown or invalid.
    public func mailer(_ key: String = "mailer", registry: KindRegistry) -> MailerDeclaration? {
        guard let section = section(key) else {
            problem("missing required key '\(key)'")
            return nil
        }
        guard let kind = section.requiredString("kind") else { return nil }
        guard let factory = section.registered(kind, in: registry.mailers, what: "mailer") else { return nil }
        let settings = factory.decode(section)
        section.rejectUnknownKeys()
        return settings.map { MailerDeclaration(kind: kind, settings: $0, factory: factory) }
    }
}
