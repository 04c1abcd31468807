import Hummingbird
import Provisioning

/// The routes of one declared credential kind.
protocol CredentialRoutes: Sendable {
    func register(on router: Router<AppRequestContext>)
}

/// What the routes of a credential kind are built with.
struct CredentialRouteContext: Sendable {
    let signIn: SignInContext
    let pipeline: BuiltPipeline
    let options: ServiceOptions
}

/// A credential kind that the service can serve: the core decodes its
/// section (`CredentialKindFactory`); this builds its routes. A kind is one
/// file here and one registration line in `BuiltinKinds`.
protocol CredentialRoutesFactory: CredentialKindFactory {
    func routes(_ settings: Settings, context: CredentialRouteContext) async throws -> any CredentialRoutes
}

extension CredentialRoutesFactory {
    func routes(declared settings: any Sendable, context: CredentialRouteContext) async throws -> any CredentialRoutes {
        guard let typed = settings as? Settings else { throw RegistryError.settingsMismatch(kind) }
        return try await routes(typed, context: context)
    }
}

enum CredentialRoutesError: Error, CustomStringConvertible {
    case notServable(kind: String)
    case missingStoreCapability(kind: String, capability: String)

    var description: String {
        switch self {
        case .notServable(let kind): "credential kind '\(kind)' has no routes in this service"
        case .missingStoreCapability(let kind, let capability): "credential kind '\(kind)' needs a store with \(capability)"
        }
    }
}

extension PipelineConfig {
    /// Register the routes of every declared credential kind.
    func registerCredentialRoutes(on router: Router<AppRequestContext>, context: CredentialRouteContext) async throws {
        for declaration in credentials {
            guard let factory = declaration.factory.factory as? any CredentialRoutesFactory else {
                throw CredentialRoutesError.notServable(kind: declaration.kind)
            }
            try await factory.routes(declared: declaration.settings, context: context).register(on: router)
        }
    }
}
