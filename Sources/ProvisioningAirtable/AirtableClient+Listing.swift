import Foundation
import Provisioning
import ProvisioningHTTPSource

/// Background sync lists the table through the same budget as read-through
/// (the base's token bucket and circuit), at `.background` priority: a page
/// only takes a token while one is left spare for a login.
extension AirtableClient: ListableSource {
    /// A page may wait for a spare token and take a while to send: far longer
    /// than a login's `timeout_ms`.
    static let listingTimeout: Duration = .seconds(30)

    /// Records whose `LAST_MODIFIED_TIME()` is after `modifiedAfter` (the
    /// engine has already taken its overlap off), sorted by the mapped
    /// `modified_at` field when there is one.
    public func page(modifiedAfter: Date?, offset: String?) async throws(SourceListingError) -> SourcePage {
        let formula = modifiedAfter.map { Formula.modifiedAfter(AirtableTime.format($0)) }
        do throws(ListError) {
            let page = try await listPage(
                filterByFormula: formula, offset: offset, sortAscendingBy: settings.fields[Attribute.modifiedAt],
                priority: .background, timeout: Self.listingTimeout)
            return SourcePage(records: page.records, invalidRecordIDs: page.invalid.map(\.recordID), nextOffset: page.offset)
        } catch {
            switch error {
            case .iteratorExpired: throw .iteratorExpired
            case .unavailable(let seconds): throw .unavailable(retryAfterSeconds: seconds)
            }
        }
    }

    /// Sorted by the table's last-modified field, when config maps one.
    public var listsInModifiedOrder: Bool { settings.fields[Attribute.modifiedAt] != nil }

    /// Half the base's `requests_per_second`. Airtable counts requests in any
    /// one-second window; a listing at the full rate would fill every window,
    /// so that a login's lookup would be the request refused with 429 (and a
    /// 429 closes the base for 30 s). The bucket's priority alone cannot
    /// prevent that: it orders requests, it does not leave room for them.
    public var listingInterval: Duration {
        .nanoseconds(Int64(2e9 / Double(max(settings.requestsPerSecond, 1))))
    }
}
