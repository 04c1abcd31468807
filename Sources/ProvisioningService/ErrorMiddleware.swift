import Hummingbird

/// Any error that is not already an `APIError` (or another rendered
/// `HTTPResponseError`) becomes a contract-shaped 500 instead of a bare one.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError {
            throw error
        } catch {
            context.logger.error("request.failed", metadata: ["event": "request.failed", "error": .string(String(describing: type(of: error)))])
            throw APIError(.internalServerError, "internal_error")
        }
    }
}
