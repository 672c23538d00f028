import Foundation
import KubeCore
import PetrelAPI

/// Collects postBuild variables from `spec.postBuild`: each `substituteFrom` entry in order (later entries override
/// earlier ones), then the inline `substitute` map, which wins.
package enum SubstitutionVariables {
    /// Reads one ConfigMap or Secret in the Kustomization's namespace; returns `nil` when it does not exist.
    package typealias Lookup = @Sendable (SubstituteReference.Kind, String) async throws -> JSONValue?

    /// The variables of a `postBuild`, and a redactor for the values that came from Secrets.
    package struct Resolved: Sendable {
        /// Every variable, by name.
        package var variables: [String: String] = [:]
        /// Masks the values read from Secrets (see ``SecretRedactor``).
        package var secrets = SecretRedactor()
    }

    /// The variables of `postBuild`.
    ///
    /// ConfigMap `data` values are taken as they are; Secret `data` values are base64-decoded (`stringData` too,
    /// for objects that were never stored). A missing object is an error unless the entry is `optional: true`.
    ///
    /// - Throws: ``KustomizationError/buildFailed(_:)`` naming the ConfigMap or Secret.
    package static func resolve(_ postBuild: PostBuild?, lookup: Lookup) async throws(KustomizationError)
        -> [String: String]
    {
        try await resolved(postBuild, lookup: lookup).variables
    }

    /// ``resolve(_:lookup:)`` with a redactor for the values read from Secrets, for every message that may show a
    /// substituted value.
    package static func resolved(_ postBuild: PostBuild?, lookup: Lookup) async throws(KustomizationError)
        -> Resolved
    {
        guard let postBuild else { return Resolved() }
        var variables: [String: String] = [:]
        var secretValues: [String] = []
        for reference in postBuild.substituteFrom ?? [] {
            let object: JSONValue?
            do { object = try await lookup(reference.kind, reference.name) } catch {
                throw .buildFailed(
                    "substitute from '\(reference.kind.rawValue)/\(reference.name)' failed: \(error)")
            }
            guard let object else {
                if reference.optional == true { continue }
                throw .buildFailed(
                    "substitute from '\(reference.kind.rawValue)/\(reference.name)' failed: "
                        + "\(reference.kind.rawValue.lowercased()) not found; create it or set optional: true")
            }
            for (key, value) in try values(of: object, kind: reference.kind, name: reference.name) {
                variables[key] = value
                if reference.kind == .secret { secretValues.append(value) }
            }
        }
        for (key, value) in postBuild.substitute ?? [:] { variables[key] = value }
        // Substitution drops newlines from values; mask both forms.
        let cleaned = secretValues.map { $0.filter { $0 != "\n" && $0 != "\r\n" && $0 != "\r" } }
        return Resolved(variables: variables, secrets: SecretRedactor(values: secretValues + cleaned))
    }

    private static func values(of object: JSONValue, kind: SubstituteReference.Kind, name: String)
        throws(KustomizationError) -> [(String, String)]
    {
        var pairs: [(String, String)] = []
        if case .object(let data) = object["data"] ?? .null {
            for (key, value) in data {
                guard let text = value.stringValue else { continue }
                switch kind {
                case .configMap:
                    pairs.append((key, text))
                case .secret:
                    guard let decoded = Data(base64Encoded: text), let string = String(data: decoded, encoding: .utf8)
                    else {
                        throw .buildFailed("substitute from 'Secret/\(name)' failed: key '\(key)' is not base64 UTF-8")
                    }
                    pairs.append((key, string))
                }
            }
        }
        if kind == .secret, case .object(let stringData) = object["stringData"] ?? .null {
            for (key, value) in stringData { if let text = value.stringValue { pairs.append((key, text)) } }
        }
        return pairs
    }
}
