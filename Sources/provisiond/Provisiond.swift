import ArgumentParser

@main
struct Provisiond: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provisiond",
        abstract: "Read-through user provisioning from Airtable into PostgreSQL.",
        subcommands: [Serve.self, Migrate.self, CheckConfig.self, SignEvent.self, Sync.self, Explain.self],
        defaultSubcommand: Serve.self)
}

/// `--config FILE`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
    static let defaultFile = "providers.yaml"
    @Option(name: .long, help: "The pipeline declaration.")
    var config: String = ConfigOption.defaultFile
}
