import Foundation
import KubeCore

/// The builtin ValueAddTransformer: writes one value (default: the kustomization directory's name) into a field
/// of the selected resources, optionally as one part of a path-like value.
struct ValueAdd {
    let loader: Loader
    let file: String
    let directory: String

    func apply(_ config: JSONValue, to resources: inout [Resource]) throws(KustomizeError) {
        var value = (config["value"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if value.isEmpty { value = (directory as NSString).lastPathComponent }
        var targets = config["targets"]?.arrayValue ?? []
        if let path = config["targetFilePath"]?.stringValue, !path.isEmpty {
            let resolved = try loader.resolveFile(path, from: directory)
            let documents = try YAMLCodec.parseStream(try loader.readText(resolved), file: loader.relative(resolved))
            targets += documents.first?["targets"]?.arrayValue ?? []
        }
        guard !targets.isEmpty else {
            throw .invalidField(file: file, field: "transformers", detail: "ValueAddTransformer: no targets")
        }
        for target in targets {
            guard let fieldPath = target["fieldPath"]?.stringValue, !fieldPath.isEmpty else {
                throw .invalidField(file: file, field: "transformers", detail: "ValueAddTransformer: empty fieldPath")
            }
            let position = target["filePathPosition"]?.integerValue ?? 0
            guard position >= 0 else {
                throw .invalidField(
                    file: file, field: "transformers", detail: "ValueAddTransformer: negative filePathPosition")
            }
            let selector = target["selector"].map { Selector($0) }
            for index in resources.indices where selector?.matches(resources[index]) ?? true {
                if fieldPath == "metadata/namespace" {
                    var one = [resources[index]]
                    Transformers.applyNamespace(value, specs: [], to: &one)
                    resources[index] = one[0]
                    continue
                }
                let spec = FieldSpec(fieldPath, create: true)
                spec.visit(&resources[index].object) { current in
                    if position > 0 {
                        current = .string(Self.insertPathPart(current?.stringValue ?? "", at: position - 1, value))
                    } else {
                        current = .string(value)
                    }
                }
            }
        }
    }

    /// Inserts `part` as the `position`th element of a `/`-separated path (clamped to the ends); in an absolute
    /// path, position 0 is the first element after the leading `/`.
    static func insertPathPart(_ path: String, at position: Int64, _ part: String) -> String {
        var parts = path.isEmpty ? [] : path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var index = Int(clamping: min(max(position, 0), Int64(parts.count)))
        if parts.first == "" && index < parts.count { index += 1 }
        parts.insert(part, at: index)
        return parts.joined(separator: "/")
    }
}

/// The builtin IAMPolicyGenerator: a GKE workload-identity ServiceAccount.
enum IAMPolicy {
    static func generate(_ config: JSONValue, file: String) throws(KustomizeError) -> Resource {
        let cloud = config["cloud"]?.stringValue ?? ""
        guard cloud == "gke" else {
            throw .invalidField(
                file: file, field: "generators",
                detail: "IAMPolicyGenerator: cloud provider '\(cloud)' is not supported")
        }
        let account = config[path: ["serviceAccount", "name"]]?.stringValue ?? ""
        let project = config[path: ["serviceAccount", "projectId"]]?.stringValue ?? ""
        var metadata = JSONObject()
        metadata["annotations"] = .object(
            JSONObject([("iam.gke.io/gcp-service-account", .string("\(account)@\(project).iam.gserviceaccount.com"))]))
        metadata["name"] = .string(config[path: ["kubernetesService", "name"]]?.stringValue ?? "")
        if let namespace = config[path: ["kubernetesService", "namespace"]]?.stringValue, !namespace.isEmpty {
            metadata["namespace"] = .string(namespace)
        }
        var object = JSONObject()
        object["apiVersion"] = "v1"
        object["kind"] = "ServiceAccount"
        object["metadata"] = .object(metadata)
        return Resource(object: .object(object), file: file)
    }
}
