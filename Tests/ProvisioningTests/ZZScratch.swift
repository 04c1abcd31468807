import Foundation
@testable import Provisioning
import Testing

@Test func scratchConfig() throws {
    var registry = KindRegistry()
    try registry.register(provider: MemoryProviderFactory())
    let loader = ConfigLoader(registry: registry, environment: ["SET": "x"])
    let yamls: [String] = [
"version: 1\nversion: 2\nproviders:\n  - name: a\n    kind: memory\n",
"version: 1\nproviders: 3\n",
"just a string\n",
"version: 1\nproviders:\n  - name: a\n    kind: memory\nsoft_delete:\n  on_delete_event: purge\n  deleted_users_can_login: maybe\nwebhook:\n  path: x\n  schemes:\n    - kind: hmac-sha256\n",
"version: 1\nproviders:\n  - name: a\n    kind: memory\nresolution:\n  order: []\n  negative_cache_s: -1\nauth:\n  bcrypt_cost: 5\n  issuer: ${UNTERM\n",
"version: 1\nproviders:\n  - name: a\n  - just\n  - kind: memory\n",
"version: 1\nproviders:\n  - name: a\n    kind: nope\nresolution:\n  order: [a]\n",
"version: 1\nproviders:\n  - name: a\n    kind: memory\nprecedence:\n  default: oldest\n  attributes:\n    role: always\n    Bad: source\n",
]
    for yaml in yamls {
        do { _ = try loader.load(yaml: yaml, file: "p.yaml"); print("OK") }
        catch { print("----\n" + error.problems.map(\.description).joined(separator: "\n")) }
    }
}
