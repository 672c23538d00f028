import Foundation
import KubeClient
import KubeCore
import Kustomize
import PetrelAPI
import PetrelControllers

/// A local build of a directory with the overrides of a Kustomization read from the cluster, as
/// `flux build kustomization NAME --path DIR` does: the Kustomization's `targetNamespace`, `namePrefix`,
/// `nameSuffix`, `patches`, `images`, `components` and `commonMetadata` applied to DIR (its `spec.path` is
/// ignored), postBuild variables substituted from `substitute` and from the ConfigMaps and Secrets of
/// `substituteFrom` (read from the cluster), and the owner labels the controller stamps on every object.
///
/// The build and substitution are the controller's own (`ManifestBuilder`, `SubstitutionVariables`,
/// `Substitution` in PetrelControllers), so what the CLI shows is what the controller would apply.
struct KustomizationBuild: Sendable {
    /// The Kustomization as read from the cluster.
    let kustomization: Kustomization
    /// The built objects, substituted and labelled, in kustomize's output order.
    let objects: [JSONValue]
    /// Masks the Secret values substituted into ``objects`` in every message about them (server errors echo them).
    var secrets = SecretRedactor()

    /// Reads Kustomization `name` in `namespace` and builds `directory` with its overrides.
    ///
    /// - Throws: ``CLIError/usage(_:)`` when `directory` is not a directory, ``CLIError/notFound(_:)`` when the
    ///   Kustomization does not exist, ``CLIError/failed(_:)`` when the build or the substitution fails.
    static func run(_ session: Session, name: String, namespace: String, directory: String) async throws(CLIError)
        -> KustomizationBuild
    {
        let (root, path) = try locate(directory)
        let raw = try await ReconcileRequest.fetch(session, kind: .kustomization, name: name, namespace: namespace)
        let kustomization: Kustomization
        do {
            kustomization = try Kustomization(json: raw)
        } catch {
            throw .failed(
                "\(PetrelKind.kustomization.describe(name, namespace: namespace)) cannot be read: \(error.message). "
                    + "Fix its spec (kubectl edit kustomization \(name) -n \(namespace)).")
        }
        var spec = kustomization.spec
        spec.path = path
        let built: [JSONValue]
        do {
            built = try ManifestBuilder().build(root: root, spec: spec)
        } catch {
            throw .failed("building \(directory) with the overrides of \(describe(kustomization)) failed: \(error.message)")
        }
        let client = session.client
        let resolved: SubstitutionVariables.Resolved
        do {
            resolved = try await SubstitutionVariables.resolved(spec.postBuild) { kind, referenceName in
                let resource = GroupVersionResource(
                    group: "", version: "v1", resource: kind == .configMap ? "configmaps" : "secrets")
                do {
                    return try await client.get(resource, namespace: namespace, name: referenceName)
                } catch let error as KubeClientError where error.isNotFound {
                    return nil
                }
            }
        } catch {
            throw .failed("postBuild of \(describe(kustomization)): \(error.message)")
        }
        var objects: [JSONValue]
        do {
            objects = try Substitution.apply(to: built, variables: resolved.variables)
        } catch {
            throw .failed("postBuild of \(describe(kustomization)): \(resolved.secrets.redact(error).message)")
        }
        let labels = [WellKnown.kustomizeNameLabel: name, WellKnown.kustomizeNamespaceLabel: namespace]
        for index in objects.indices {
            for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
                objects[index].set(path: ["metadata", "labels", key], to: .string(value))
            }
        }
        return KustomizationBuild(kustomization: kustomization, objects: objects, secrets: resolved.secrets)
    }

    /// The build root and the path of `directory` inside it (see ``BuildCommand/buildRoot(for:)``).
    static func locate(_ directory: String) throws(CLIError) -> (root: URL, path: String) {
        let url = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .usage("--path '\(directory)' is not a directory: pass the folder the Kustomization's path builds")
        }
        let root = BuildCommand.buildRoot(for: url)
        let relative = String(url.path.dropFirst(root.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return (root, relative.isEmpty ? "." : relative)
    }

    static func describe(_ kustomization: Kustomization) -> String {
        PetrelKind.kustomization.describe(kustomization.metadata.name ?? "", namespace: kustomization.metadata.namespace ?? "")
    }
}
