/// A bcrypt hash in modular crypt form: `$2a$`, `$2b$` or `$2y$`, a two-digit
/// cost, then 22 characters of salt and 31 of hash. `$2y$` (PHP's name for
/// the fixed algorithm) is the same algorithm as `$2b$`.
public struct BcryptHash: Sendable, Equatable {
    /// The highest cost a hash may have to be imported: one verify at cost 16
    /// takes seconds and would pin a thread of the bcrypt pool per attempt.
    public static let maxImportCost = 15
    static let minCost = 4

    public let text: String
    public let variant: Character
    public let cost: Int

    /// nil when `text` is not a well-formed bcrypt hash.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
              let tens = Self.digit(bytes[4]), let ones = Self.digit(bytes[5]),
              bytes[7...].allSatisfy(Self.isBcryptBase64)
        else { return nil }
        self.text = text
        self.variant = Character(Unicode.Scalar(bytes[2]))
        self.cost = tens * 10 + ones
        guard cost >= Self.minCost else { return nil }
    }

    /// The form the verifier understands: `$2b$` for all three. `$2a$` too:
    /// the C code here would wrap a password over 255 bytes for `$2a$`, where
    /// the libraries that make such hashes today (PHP, passlib, Go) do not.
    public var verifiable: String {
        variant == "b" ? text : "$2b$" + text.dropFirst(4)
    }

    /// Whether a successful login should store a new hash at `cost`.
    public func wantsRehash(atCost configured: Int) -> Bool {
        cost != configured || variant == "y"
    }

    /// Why a source's `password_hash` value cannot be imported, or nil.
    public static func importProblem(_ value: String) -> String? {
        guard let hash = BcryptHash(value) else { return "password_hash is not a bcrypt hash ($2a$, $2b$ or $2y$)" }
        guard hash.cost <= maxImportCost else { return "password_hash cost \(hash.cost) is above \(maxImportCost)" }
        return nil
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func isBcryptBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: false
        }
    }
}

extension SourceRecord {
    /// Why this record cannot be imported (a hash that is malformed or too
    /// costly to verify), or nil. Every import path asks before writing.
    public var importProblem: String? {
        values[Attribute.passwordHash].flatMap(BcryptHash.importProblem)
    }
}
