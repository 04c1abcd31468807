import Foundation

/// An email address as given, with its canonical form: trimmed of surrounding
/// white space and lower-cased (CONTRACT.md §2). The canonical form is the
/// identity key in every provider.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address as given, trimmed.
    public let raw: String
    /// Trimmed and lower-cased.
    public let canonical: String

    /// Why an address was refused.
    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case empty
        case missingAt
        case emptyLocalPart
        case invalidDomain
        case containsWhiteSpace
        case tooLong

        public var description: String {
            switch self {
            case .empty: "email address is empty"
            case .missingAt: "email address must contain exactly one '@'"
            case .emptyLocalPart: "email address has nothing before '@'"
            case .invalidDomain: "email address has an invalid domain after '@'"
            case .containsWhiteSpace: "email address contains white space"
            case .tooLong: "email address is longer than 254 characters"
            }
        }
    }

    public init(_ input: String) throws(Invalid) {
        let trimmed = Self.trimmed(input)
        guard !trimmed.isEmpty else { throw .empty }
        guard trimmed.utf8.count <= 254 else { throw .tooLong }
        guard !trimmed.unicodeScalars.contains(where: Self.isWhiteSpaceOrControl) else { throw .containsWhiteSpace }
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .missingAt }
        guard !parts[0].isEmpty else { throw .emptyLocalPart }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }) else {
            throw .invalidDomain
        }
        self.raw = trimmed
        self.canonical = trimmed.lowercased()
    }

    /// Foundation's trimming only when an end is not plain ASCII: most
    /// addresses need none, and this runs on every login and event.
    private static func trimmed(_ input: String) -> String {
        guard let first = input.unicodeScalars.first, let last = input.unicodeScalars.last,
              first.isASCII, last.isASCII, !isWhiteSpaceOrControl(first), !isWhiteSpaceOrControl(last) else {
            return input.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return input
    }

    private static func isWhiteSpaceOrControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value <= 0x20 || scalar.value == 0x7f }
        return CharacterSet.whitespacesAndNewlines.contains(scalar) || scalar.properties.generalCategory == .control
    }

    /// The canonical form a store keys a user by; an invalid address is
    /// `StoreError.invalidEmail`.
    public static func storeKey(_ input: String) throws -> String {
        do { return try EmailAddress(input).canonical } catch { throw StoreError.invalidEmail(error.description) }
    }

    /// The canonical form of `input`, or nil when it is not an address.
    public static func canonical(_ input: String) -> String? {
        try? EmailAddress(input).canonical
    }

    public var description: String { raw }
}
