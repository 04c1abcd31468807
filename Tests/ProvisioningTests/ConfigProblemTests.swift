import Foundation
@testable import Provisioning
import Testing

/// The exact `file:line:column: path: message` lines that `check-config`
/// prints: they are part of the contract.
@Suite("Config problems")
struct ConfigProblemTests {
    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        var environment: [String: String] = [:]
        var expected: [String]
        var testDescription: String { name }
    }

    /// `minimalConfig` (lines 1-4) followed by `rest` from line 5.
    static func after(_ rest: String) -> String { minimalConfig + "\n" + rest }

    static let examples: [Example] = [
        Example(name: "unknown top-level key", yaml: after("bogus: 1\n"), expected: [
            "providers.yaml:5:1: bogus: unknown key 'bogus'",
        ]),
        Example(name: "unknown key inside a section", yaml: after("resolution:\n  ordr: [app_db]\n"), expected: [
            "providers.yaml:6:3: resolution.ordr: unknown key 'ordr'",
        ]),
        Example(name: "unknown key inside a provider", yaml: after("    colour: blue\n"), expected: [
            "providers.yaml:5:5: providers[0].colour: unknown key 'colour'",
        ]),
        Example(name: "wrong type of an integer", yaml: after("resolution:\n  negative_cache_s: abc\n"), expected: [
            "providers.yaml:6:21: resolution.negative_cache_s: expected an integer, got 'abc'",
        ]),
        Example(name: "integer out of range", yaml: after("resolution:\n  negative_cache_s: -1\nauth:\n  bcrypt_cost: 5\n"), expected: [
            "providers.yaml:6:21: resolution.negative_cache_s: expected an integer at least 0, got -1",
            "providers.yaml:8:16: auth.bcrypt_cost: expected an integer between 10 and 15, got 5",
        ]),
        Example(name: "unsupported version", yaml: "version: 2\nproviders:\n  - name: a\n    kind: memory\n", expected: [
            "providers.yaml:1:10: version: expected 1, got 2",
        ]),
        Example(name: "wrong type of a boolean and a choice", yaml: after("soft_delete:\n  on_delete_event: purge\n  deleted_users_can_login: maybe\n"), expected: [
            "providers.yaml:6:20: soft_delete.on_delete_event: expected one of soft, hard, ignore, got 'purge'",
            "providers.yaml:7:28: soft_delete.deleted_users_can_login: expected true or false, got 'maybe'",
        ]),
        Example(name: "a list where a mapping belongs and the reverse", yaml: "version: 1\nproviders: 3\nsync: [1]\n", expected: [
            "providers.yaml:2:12: providers: expected a list",
            "providers.yaml:3:7: sync: expected a mapping",
        ]),
        Example(name: "unknown provider kind", yaml: "version: 1\nproviders:\n  - name: a\n    kind: postgres\n", expected: [
            "providers.yaml:4:11: providers[0].kind: unknown provider kind 'postgres' (registered: memory)",
        ]),
        Example(name: "an order naming a provider whose kind is unknown reports only the kind", yaml: "version: 1\nproviders:\n  - name: a\n    kind: nope\nresolution:\n  order: [a]\n", expected: [
            "providers.yaml:4:11: providers[0].kind: unknown provider kind 'nope' (registered: memory)",
        ]),
        Example(name: "unknown signature scheme kind", yaml: after("webhook:\n  schemes:\n    - kind: hmac-sha256\n"), expected: [
            "providers.yaml:7:13: webhook.schemes[0].kind: unknown signature scheme kind 'hmac-sha256' (registered: none)",
        ]),
        Example(name: "order naming an undeclared provider", yaml: after("resolution:\n  order: [app_db, airtable]\n"), expected: [
            "providers.yaml:6:19: resolution.order[1]: 'airtable' names no declared provider",
        ]),
        Example(name: "order naming a provider twice", yaml: after("resolution:\n  order: [app_db, app_db]\n"), expected: [
            "providers.yaml:6:19: resolution.order[1]: 'app_db' appears twice",
        ]),
        Example(name: "empty order", yaml: after("resolution:\n  order: []\n"), expected: [
            "providers.yaml:6:10: resolution.order: name at least one provider",
        ]),
        Example(name: "precedence rule naming an unknown attribute", yaml: after("precedence:\n  attributes:\n    colour: source\n"), expected: [
            "providers.yaml:7:5: precedence.attributes.colour: unknown attribute 'colour' (known: display_name, email, password_hash, role)",
        ]),
        Example(name: "precedence rule that is not a rule", yaml: after("precedence:\n  default: oldest\n  attributes:\n    role: always\n"), expected: [
            "providers.yaml:6:12: precedence.default: expected one of source, store, newest, got 'oldest'",
            "providers.yaml:8:11: precedence.attributes.role: expected one of source, store, newest, got 'always'",
        ]),
        Example(name: "required variable unset", yaml: after("auth:\n  signing_key: ${JWT_SIGNING_KEY}\n"), expected: [
            "providers.yaml:6:16: auth.signing_key: environment variable JWT_SIGNING_KEY is not set",
        ]),
        Example(name: "unterminated variable", yaml: after("auth:\n  issuer: ${ISSUER\n"), expected: [
            "providers.yaml:6:11: auth.issuer: unterminated ${ in value",
        ]),
        Example(name: "duplicate provider name", yaml: minimalConfig + "\n  - name: app_db\n    kind: memory\n", expected: [
            "providers.yaml:5:11: providers[1].name: provider name 'app_db' is declared twice",
        ]),
        Example(name: "provider entries missing keys or not mappings", yaml: "version: 1\nproviders:\n  - name: a\n  - just\n  - kind: memory\n", expected: [
            "providers.yaml:3:5: providers[0]: missing required key 'kind'",
            "providers.yaml:4:5: providers[1]: expected a mapping",
            "providers.yaml:5:5: providers[2]: missing required key 'name'",
        ]),
        Example(name: "missing version and providers", yaml: "auth:\n  issuer: x\n", expected: [
            "providers.yaml:1:1: missing required key 'version'",
            "providers.yaml:1:1: missing required key 'providers'",
        ]),
        Example(name: "no providers declared", yaml: "version: 1\nproviders: []\n", expected: [
            "providers.yaml:2:12: providers: declare at least one provider",
        ]),
        Example(name: "webhook path without a slash", yaml: after("webhook:\n  path: hooks\n"), expected: [
            "providers.yaml:6:9: webhook.path: must start with '/'",
        ]),
        Example(name: "a memory user without email or with a bad one", yaml: after("    users:\n      - email: nope\n      - display_name: X\n"), expected: [
            "providers.yaml:6:16: providers[0].users[0].email: email address must contain exactly one '@'",
            "providers.yaml:7:9: providers[0].users[1]: missing required key 'email'",
        ]),
        Example(name: "several problems at once are all reported", yaml: """
            version: 1
            providers:
              - name: app_db
                kind: memory
                pool: 3
            resolution:
              order: [app_db, ghost]
              negative_cache_s: soon
            precedence:
              attributes:
                shoe_size: store
            auth:
              issuer: ${ISSUER}
            extra: true
            """, expected: [
            "providers.yaml:5:5: providers[0].pool: unknown key 'pool'",
            "providers.yaml:8:21: resolution.negative_cache_s: expected an integer, got 'soon'",
            "providers.yaml:7:19: resolution.order[1]: 'ghost' names no declared provider",
            "providers.yaml:11:5: precedence.attributes.shoe_size: unknown attribute 'shoe_size' (known: display_name, email, password_hash, role)",
            "providers.yaml:13:11: auth.issuer: environment variable ISSUER is not set",
            "providers.yaml:14:1: extra: unknown key 'extra'",
        ]),
        Example(name: "invalid YAML is reported with its line and column", yaml: "version: 1\nproviders: [\n  - name: a\n", expected: [
            "providers.yaml:3:3: invalid YAML: did not find expected node content",
        ]),
        Example(name: "a bad indentation is invalid YAML at the offending line", yaml: after("    users:\n      - email: a@b.co\n        x: 1\n       y: 2\n"), expected: [
            "providers.yaml:8:8: invalid YAML: did not find expected '-' indicator",
        ]),
        Example(name: "a duplicate key is invalid YAML at the key", yaml: after("sync:\n  interval_s: 1\n  interval_s: 2\n"), expected: [
            "providers.yaml:6:3: invalid YAML: duplicate key 'interval_s'",
        ]),
        Example(name: "an empty file", yaml: "", expected: [
            "providers.yaml:1:1: the file is empty",
        ]),
        Example(name: "a document that is not a mapping", yaml: "just a string\n", expected: [
            "providers.yaml:1:1: expected a mapping",
        ]),
    ]

    @Test("each problem is reported as file:line:column: path: message", arguments: examples)
    func reported(_ example: Example) throws {
        let actual = try problems(example.yaml, environment: example.environment)
        #expect(actual == example.expected, "got \(actual)")
    }

    @Test("a valid config reports no problem")
    func noProblem() throws {
        #expect(try problems(minimalConfig).isEmpty)
    }

    @Test("the first provider must be able to store users, the others to be sources")
    func roles() throws {
        var registry = try memoryRegistry()
        try registry.register(provider: SourceOnlyFactory())
        let declared = "version: 1\nproviders:\n  - name: feed\n    kind: source-only\n  - name: app_db\n    kind: memory\n"
        #expect(try problems(declared, registry: registry) == [
            "providers.yaml:3:3: providers: the first provider is the store, but kind 'source-only' cannot store users",
        ])
        #expect(try problems(declared + "resolution:\n  negative_cache_s: 5\n", registry: registry) == [
            "providers.yaml:3:3: providers: the first provider is the store, but kind 'source-only' cannot store users",
        ])
        #expect(try problems(declared + "resolution:\n  order: [feed, app_db]\n", registry: registry) == [
            "providers.yaml:8:11: resolution.order[0]: the first provider is the store, but kind 'source-only' cannot store users",
        ])
        #expect(try problems(declared + "resolution:\n  order: [app_db, feed]\n", registry: registry).isEmpty)
    }

    @Test("a problem prints without a path at the top of the file")
    func description() {
        let top = ConfigProblem(file: "f.yaml", line: 2, column: 3, path: "", message: "m")
        let nested = ConfigProblem(file: "f.yaml", line: 2, column: 3, path: "a.b", message: "m")
        #expect(top.description == "f.yaml:2:3: m")
        #expect(nested.description == "f.yaml:2:3: a.b: m")
        #expect(ConfigErrors(problems: [top, nested]).description == "f.yaml:2:3: m\nf.yaml:2:3: a.b: m")
    }
}
