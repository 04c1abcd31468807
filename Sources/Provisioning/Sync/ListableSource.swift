import Foundation

/// A source that can also be listed page by page, for background sync: the
/// records modified after a time (incremental) or all of them (reconciliation).
public protocol ListableSource: IdentitySource {
    /// One page of the listing. `modifiedAfter` nil lists every record;
    /// `offset` continues a listing begun with the same `modifiedAfter`.
    func page(modifiedAfter: Date?, offset: String?) async throws(SourceListingError) -> SourcePage
    /// Whether pages come in ascending order of `SourceRecord.modifiedAt`.
    /// Only then may the sync save its cursor after each page; otherwise it
    /// saves it once the listing has completed.
    var listsInModifiedOrder: Bool { get }
    /// The least time between a page's answer and the next page's request,
    /// so that a listing leaves room in a shared rate limit for lookups.
    /// Zero: no pacing.
    var listingInterval: Duration { get }
}

extension ListableSource {
    public var listingInterval: Duration { .zero }
}

/// One page of a listing.
public struct SourcePage: Sendable, Equatable {
    public var records: [SourceRecord]
    /// Records the source returned but could not map (logged by the source).
    /// They still exist: reconciliation never deletes their users.
    public var invalidRecordIDs: [String]
    /// Continues the listing; nil on the last page.
    public var nextOffset: String?
    /// Records the source lists as deleted (SCIM's `active: false`), with
    /// their time: the sync applies the delete policy to their users, and
    /// reconciliation counts them as gone.
    public var deleted: [DeletedRecord]

    public init(records: [SourceRecord], invalidRecordIDs: [String] = [], nextOffset: String?, deleted: [DeletedRecord] = []) {
        self.records = records
        self.invalidRecordIDs = invalidRecordIDs
        self.nextOffset = nextOffset
        self.deleted = deleted
    }

    public var invalidCount: Int { invalidRecordIDs.count }
}

/// A record a listing reports as deleted.
public struct DeletedRecord: Sendable, Equatable {
    public var recordID: String
    public var modifiedAt: Date?
    public init(recordID: String, modifiedAt: Date?) {
        self.recordID = recordID
        self.modifiedAt = modifiedAt
    }
}

/// Why a page could not be listed.
public enum SourceListingError: Error, Equatable, CustomStringConvertible {
    /// The offset is no longer valid: restart the listing.
    case iteratorExpired
    /// The source is down, slow, rate-limited or its circuit is open.
    case unavailable(retryAfterSeconds: Int)

    public var description: String {
        switch self {
        case .iteratorExpired: "the listing's offset expired"
        case .unavailable(let seconds): "source unavailable (retry after \(seconds) s)"
        }
    }
}

/// A listable source with its provider name (the key of its sync cursor).
public struct NamedListableSource: Sendable {
    public var name: String
    public var source: any ListableSource
    public init(name: String, source: any ListableSource) {
        self.name = name
        self.source = source
    }
}
