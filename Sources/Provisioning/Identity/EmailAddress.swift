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
        let trimmed = input.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .empty }
        guard trimmed.utf8.count <= 254 else { throw .tooLong }
        guard !trimmed.unicodeScalars.contains(where: { CharacterSet.whitespacesAndNewlines.contains($0) || $0.properties.generalCategory == .control }) else {
            throw .containsWhiteSpace
        }
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

    /// The canonical form of `input`, or nil when it is not an address.
    public static func canonical(_ input: String) -> String? {
        try? EmailAddress(input).canonical
    }

    public var description: String { raw }
}
