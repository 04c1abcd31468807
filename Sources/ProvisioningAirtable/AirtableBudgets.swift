import Provisioning

extension SourceBudgets {
    /// The budget of an Airtable base: one per (API URL, base), so that every
    /// provider on a base spends the same 5 requests per second.
    func budget(for settings: AirtableSettings) -> SourceBudget {
        let apiURL = settings.apiURL.hasSuffix("/") ? String(settings.apiURL.dropLast()) : settings.apiURL
        return budget(for: "\(apiURL)|\(settings.base)") {
            SourceBudget(requestsPerSecond: settings.requestsPerSecond, failureThreshold: settings.failureThreshold, openSeconds: settings.openSeconds)
        }
    }
}
