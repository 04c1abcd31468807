import ArgumentParser

@main
struct ProvisionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision-bench",
        abstract: "Benchmarks (not tests): prints tables; see BENCHMARKS.md and scripts/bench.sh.",
        subcommands: [StoreBench.self, ServiceBench.self, AbuseBench.self, CodeBench.self, ClusterBench.self, PushBench.self])
}
