/// Airtable-shaped identifiers: a three-letter prefix and 14 alphanumerics.
enum SimIDs {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var id = prefix
        for _ in 0..<14 {
            id.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))])
        }
        return id
    }

    /// True for `prefix` followed by exactly 14 ASCII letters or digits.
    static func isValid(_ id: String, prefix: String) -> Bool {
        guard id.hasPrefix(prefix) else { return false }
        let rest = id.utf8.dropFirst(prefix.utf8.count)
        return rest.count == 14 && rest.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }
}

extension SimIDs {
    /// An id of the same shape, always the same for the same `seed` (FNV-1a, then base 62).
    static func derived(_ prefix: String, from seed: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var id = prefix
        for round in 0..<14 {
            for byte in "\(round)|\(seed)".utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            id.append(alphabet[Int(hash % UInt64(alphabet.count))])
        }
        return id
    }
}
