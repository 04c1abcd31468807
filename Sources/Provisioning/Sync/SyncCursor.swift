import Foundation

/// The cursor arithmetic of one incremental run.
///
/// - The listing asks for records modified after `cursor - overlap`: the
///   overlap absorbs clock skew between the source and us, and records
///   sharing a time across a page boundary. Re-fetched records are harmless
///   (the store answers `unchanged` or `stale_ignored`).
/// - After each page of an ordered listing the cursor may advance to the
///   newest time seen among records that cannot have changed during the run
///   (older than the listing's start less the overlap): every record not yet
///   listed sorts after them, so a run killed now resumes without a gap.
/// - When the listing completes, the cursor becomes the newest time seen,
///   capped at the listing's start: a record changed while we listed gets a
///   later time and is fetched again next run.
/// - The cursor never moves back.
struct SyncCursor: Sendable {
    let previous: Date?
    let listingStart: Date
    let overlap: TimeInterval
    let ordered: Bool
    private(set) var newestSeen: Date?
    private(set) var newestSettled: Date?

    init(previous: Date?, listingStart: Date, overlap: TimeInterval, ordered: Bool) {
        self.previous = previous
        self.listingStart = listingStart
        self.overlap = overlap
        self.ordered = ordered
    }

    /// The lower bound to list from (nil: everything).
    static func listFrom(_ cursor: Date?, overlap: TimeInterval) -> Date? {
        cursor.map { $0.addingTimeInterval(-overlap) }
    }

    mutating func see(_ modifiedAt: Date) {
        newestSeen = Self.later(newestSeen, modifiedAt)
        if modifiedAt <= listingStart.addingTimeInterval(-overlap) {
            newestSettled = Self.later(newestSettled, modifiedAt)
        }
    }

    /// Where a run stopped now would resume from.
    var checkpoint: Date? {
        ordered ? Self.later(previous, newestSettled) : previous
    }

    /// The cursor once the listing has completed.
    var final: Date? {
        guard let newestSeen else { return previous }
        return Self.later(previous, min(newestSeen, listingStart))
    }

    static func later(_ a: Date?, _ b: Date?) -> Date? {
        switch (a, b) {
        case (nil, nil): nil
        case (let a?, nil): a
        case (nil, let b?): b
        case (let a?, let b?): max(a, b)
        }
    }
}
