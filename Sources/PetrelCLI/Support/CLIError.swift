import KubeClient

/// Every failure a `petrel` command reports, with the exit code it maps to.
///
/// Exit codes: 0 success, 1 not ready or failed, 2 usage error, 3 not found or the cluster cannot be reached.
/// `petrel diff` keeps 1 for "there are differences" (as `flux diff` and `kubectl diff` do), so its failures are 2.
package enum CLIError: Error, Sendable {
    /// An object or a resource type does not exist (exit 3).
    case notFound(String)
    /// The cluster cannot be reached or the kubeconfig cannot be used (exit 3).
    case unreachable(String)
    /// The object did not become ready, or waiting for it timed out (exit 1).
    case notReady(String)
    /// The API server refused the request (exit 1).
    case failed(String)
    /// The command line is wrong (exit 2).
    case usage(String)
    /// `petrel diff` could not build or dry-run (exit 2, since 1 means "differences").
    case diffFailed(String)

    /// Bounded CamelCase reason.
    package var reason: String {
        switch self {
        case .notFound: "NotFound"
        case .unreachable: "Unreachable"
        case .notReady: "NotReady"
        case .failed: "Failed"
        case .usage: "Usage"
        case .diffFailed: "DiffFailed"
        }
    }

    /// What went wrong and what to do about it.
    package var message: String {
        switch self {
        case .notFound(let text), .unreachable(let text), .notReady(let text), .failed(let text), .usage(let text),
            .diffFailed(let text):
            text
        }
    }

    /// The process exit code.
    package var exitCode: Int32 {
        switch self {
        case .notReady, .failed: 1
        case .usage, .diffFailed: 2
        case .notFound, .unreachable: 3
        }
    }

    /// Translates a client error; `what` names the object or list the request was about (e.g.
    /// `Kustomization "apps" in namespace "petrel-system"`), `hint` says how to find the right name.
    package static func from(_ error: KubeClientError, what: String, server: String, hint: String? = nil) -> CLIError {
        switch error {
        case .notFound(let status):
            // A 404 without details names a missing resource type (CRD not installed); with details, an object.
            if status.detailsName.isEmpty && status.detailsKind.isEmpty {
                return .notFound(
                    "\(what): the server has no such resource type. Install Petrel's CRDs "
                        + "(helm install petrel charts/petrel, or kubectl apply -f crds/).")
            }
            return .notFound("\(what) not found." + (hint.map { " \($0)" } ?? ""))
        case .resourceNotFound:
            return .notFound(
                "\(what): \(error.message) Install Petrel's CRDs (helm install petrel charts/petrel, or kubectl apply -f crds/).")
        case .transport, .timeout:
            return .unreachable(
                "cannot reach the cluster at \(server): \(error.message). Check that it is running and that "
                    + "--kubeconfig/--context (or KUBECONFIG) point at it.")
        case .configuration, .credentialPlugin, .unauthorized:
            return .unreachable("cannot use the cluster at \(server): \(error.message). Check your kubeconfig credentials.")
        case .forbidden:
            return .failed("\(what): \(error.message). Ask an administrator for RBAC permissions on Petrel's resources.")
        default:
            return .failed("\(what): \(error.message)")
        }
    }
}
