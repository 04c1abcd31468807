@testable import ProvisioningPostgres
import Testing

@Suite("Prepared upsert statement")
struct CompiledStatementTests {
    @Test("only errors that can spoil a preparation rename the statement", arguments: [
        ("42P01", true), ("42703", true), ("0A000", true), ("26000", true),
        ("23505", false), ("23503", false), ("40001", false), ("40P01", false), ("57014", false), ("22P02", false),
    ])
    func renames(_ sqlState: String, _ expected: Bool) {
        #expect(CompiledStatement.mayHaveSpoiledPreparation(sqlState) == expected)
    }

    @Test("an error without a SQLSTATE renames nothing")
    func noState() {
        #expect(!CompiledStatement.mayHaveSpoiledPreparation(nil))
    }
}
