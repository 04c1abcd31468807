import Foundation

extension MemorySource: ListableSource {
    /// Records in ascending `modifiedAt` (then record id), 100 to a page; the
    /// offset is the position of the next record.
    public func page(modifiedAfter: Date?, offset: String?) async throws(SourceListingError) -> SourcePage {
        let (records, unavailable) = listing(modifiedAfter: modifiedAfter)
        if let unavailable { throw .unavailable(retryAfterSeconds: unavailable) }
        let start: Int
        if let offset {
            guard let position = Int(offset), (0...records.count).contains(position) else { throw .iteratorExpired }
            start = position
        } else {
            start = 0
        }
        let end = min(start + Self.pageSize, records.count)
        return SourcePage(records: Array(records[start..<end]), nextOffset: end < records.count ? String(end) : nil)
    }

    public var listsInModifiedOrder: Bool { true }

    static let pageSize = 100
}
