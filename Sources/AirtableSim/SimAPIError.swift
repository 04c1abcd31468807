/// An error answer in Airtable's shape.
struct SimAPIError: Error, Sendable {
    let status: Int
    let body: SimValue

    /// `{"error": {"type": ..., "message": ...}}`
    init(_ status: Int, _ type: String, _ message: String) {
        self.status = status
        self.body = ["error": ["type": .string(type), "message": .string(message)]]
    }

    /// A bare `{"error": "NOT_FOUND"}`, as Airtable sends for unknown routes.
    init(bare status: Int, _ type: String) {
        self.status = status
        self.body = ["error": .string(type)]
    }

    init(status: Int, body: SimValue) {
        self.status = status
        self.body = body
    }

    static let authenticationRequired = SimAPIError(401, "AUTHENTICATION_REQUIRED", "Authentication required")
    static let modelNotFound = SimAPIError(
        403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
        "Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct."
    )
    static let recordNotFound = SimAPIError(404, "MODEL_ID_NOT_FOUND", "Record not found")
    static let routeNotFound = SimAPIError(bare: 404, "NOT_FOUND")
    static let invalidRequest = SimAPIError(
        422, "INVALID_REQUEST_UNKNOWN", "Invalid request: parameter validation failed. Check your request data.")
    static let rateLimited = SimAPIError(
        status: 429,
        body: ["errors": [["error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"]]])

    static func invalidRequest(_ message: String) -> SimAPIError {
        SimAPIError(422, "INVALID_REQUEST_UNKNOWN", "Invalid request: \(message)")
    }
    static func invalidFormula(_ detail: String) -> SimAPIError {
        SimAPIError(422, "INVALID_FILTER_BY_FORMULA", "The formula for filtering records is invalid: \(detail)")
    }
    static func unknownField(_ name: String) -> SimAPIError {
        SimAPIError(422, "UNKNOWN_FIELD_NAME", "Unknown field name: \"\(name)\"")
    }
    static func computedField(_ name: String) -> SimAPIError {
        SimAPIError(422, "INVALID_VALUE_FOR_COLUMN", "Field \"\(name)\" cannot accept a value because the field is computed")
    }
    static func rowDoesNotExist(_ id: String) -> SimAPIError {
        SimAPIError(422, "ROW_DOES_NOT_EXIST", "Record ID \(id) does not exist in this table")
    }
    static func invalidRecords(_ message: String) -> SimAPIError {
        SimAPIError(422, "INVALID_RECORDS", message)
    }
}
