import Foundation
import KubeCore

/// configMapGenerator and secretGenerator for one kustomization.
struct Generators {
    let loader: Loader
    let kustomization: Kustomization
    let directory: String

    mutating func run(into resources: inout [Resource]) throws(KustomizeError) {
        let global = kustomization.object["generatorOptions"]
        for spec in try kustomization.objects("configMapGenerator") {
            try generate(spec, kind: "ConfigMap", field: "configMapGenerator", global: global, into: &resources)
        }
        for spec in try kustomization.objects("secretGenerator") {
            try generate(spec, kind: "Secret", field: "secretGenerator", global: global, into: &resources)
        }
    }

    private func generate(
        _ spec: JSONValue, kind: String, field: String, global: JSONValue?, into resources: inout [Resource]
    ) throws(KustomizeError) {
        let file = kustomization.file
        guard let name = spec["name"]?.stringValue, !name.isEmpty else {
            throw .invalidField(file: file, field: field, detail: "a generator needs a name")
        }
        // kustomize treats an unknown behavior as "create".
        let given = spec["behavior"]?.stringValue ?? "create"
        let behavior = ["merge", "replace"].contains(given) ? given : "create"
        var entries: [(String, [UInt8])] = []
        try collectEntries(spec, field: field, into: &entries)
        var metadata = JSONObject()
        metadata["name"] = .string(name)
        if let namespace = spec["namespace"]?.stringValue, !namespace.isEmpty {
            metadata["namespace"] = .string(namespace)
        }
        let options = spec["options"]
        var labels = try Kustomization.stringMap(global?["labels"], file: file, field: "generatorOptions.labels")
        labels += try Kustomization.stringMap(options?["labels"], file: file, field: "\(field).options.labels")
        var annotations = try Kustomization.stringMap(
            global?["annotations"], file: file, field: "generatorOptions.annotations")
        annotations += try Kustomization.stringMap(
            options?["annotations"], file: file, field: "\(field).options.annotations")
        if !labels.isEmpty { metadata["labels"] = .object(JSONObject(labels.map { ($0.0, JSONValue.string($0.1)) })) }
        if !annotations.isEmpty {
            metadata["annotations"] = .object(JSONObject(annotations.map { ($0.0, JSONValue.string($0.1)) }))
        }
        var object = JSONObject()
        object["apiVersion"] = "v1"
        object["kind"] = .string(kind)
        object["metadata"] = .object(metadata)
        var data = JSONObject()
        var binary = JSONObject()
        for (key, bytes) in entries {
            if kind == "Secret" {
                data[key] = .string(Self.base64Lines(bytes))
            } else if let text = String(validating: bytes, as: UTF8.self) {
                data[key] = .string(text)
            } else {
                binary[key] = .string(Self.base64Lines(bytes))
            }
        }
        if !data.isEmpty { object["data"] = .object(data) }
        if !binary.isEmpty { object["binaryData"] = .object(binary) }
        if kind == "Secret" { object["type"] = .string(spec["type"]?.stringValue ?? "Opaque") }
        // kustomize ORs the global and per-generator switches: either one set to true wins.
        let immutable = options?["immutable"]?.boolValue == true || global?["immutable"]?.boolValue == true
        if immutable { object["immutable"] = true }
        let disableHash =
            options?["disableNameSuffixHash"]?.boolValue == true || global?["disableNameSuffixHash"]?.boolValue == true
        var resource = Resource(object: .object(object), file: file)
        resource.needsHashSuffix = !disableHash
        try place(resource, behavior: behavior, field: field, into: &resources)
    }

    private func place(_ generated: Resource, behavior: String, field: String, into resources: inout [Resource])
        throws(KustomizeError)
    {
        let match = resources.firstIndex { existing in
            existing.kind == generated.kind && existing.allNames.contains(generated.name)
                && (generated.namespace.isEmpty || existing.effectiveNamespace == generated.effectiveNamespace)
        }
        switch behavior {
        case "create":
            try BuildContext.append([generated], to: &resources)
        default:
            guard let index = match else {
                throw .invalidField(
                    file: kustomization.file, field: field,
                    detail:
                        "behavior '\(behavior)' for '\(generated.name)' but no existing \(generated.kind) of that name")
            }
            var target = resources[index].object
            for key in ["labels", "annotations"] {
                if let additions = generated.object[path: ["metadata", key]]?.objectValue {
                    var merged = target[path: ["metadata", key]]?.objectValue ?? JSONObject()
                    for (k, v) in additions { merged[k] = v }
                    target.set(path: ["metadata", key], to: .object(merged))
                }
            }
            for key in ["data", "binaryData"] {
                if behavior == "replace" {
                    target.set(path: [key], to: generated.object[key])
                } else if let additions = generated.object[key]?.objectValue {
                    var merged = target[key]?.objectValue ?? JSONObject()
                    for (k, v) in additions { merged[k] = v }
                    target.set(path: [key], to: .object(merged))
                }
            }
            resources[index].object = target
            resources[index].needsHashSuffix = resources[index].needsHashSuffix && generated.needsHashSuffix
        }
    }

    private func collectEntries(_ spec: JSONValue, field: String, into entries: inout [(String, [UInt8])])
        throws(KustomizeError)
    {
        let file = kustomization.file
        func add(_ key: String, _ value: [UInt8]) throws(KustomizeError) {
            if entries.contains(where: { $0.0 == key }) {
                throw .invalidField(file: file, field: field, detail: "duplicate key '\(key)'")
            }
            entries.append((key, value))
        }
        for literal in spec["literals"]?.arrayValue ?? [] {
            guard let text = literal.stringValue, let equals = text.firstIndex(of: "=") else {
                throw .invalidField(file: file, field: "\(field).literals", detail: "expected key=value")
            }
            try add(String(text[..<equals]), Array(Self.unquote(String(text[text.index(after: equals)...])).utf8))
        }
        for entry in spec["files"]?.arrayValue ?? [] {
            guard let text = entry.stringValue else {
                throw .invalidField(file: file, field: "\(field).files", detail: "expected a path")
            }
            var key: String
            var path = text
            if let equals = text.firstIndex(of: "=") {
                key = String(text[..<equals])
                path = String(text[text.index(after: equals)...])
            } else {
                key = (path as NSString).lastPathComponent
            }
            let resolved = try loader.resolveFile(path, from: directory)
            try add(key, Array(try loader.read(resolved)))
        }
        var envFiles = spec["envs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let single = spec["env"]?.stringValue { envFiles.append(single) }
        for envFile in envFiles {
            let resolved = try loader.resolveFile(envFile, from: directory)
            let text = try loader.readText(resolved)
            for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                var line = Substring(rawLine)
                if line.hasSuffix("\r") { line = line.dropLast() }
                line = line.drop { $0 == " " || $0 == "\t" }
                if line.isEmpty || line.hasPrefix("#") { continue }
                guard let equals = line.firstIndex(of: "=") else {
                    throw .invalidField(
                        file: loader.relative(resolved), field: "line \(number + 1)",
                        detail: "expected KEY=VALUE (values from the process environment are not read)")
                }
                try add(String(line[..<equals]), Array(line[line.index(after: equals)...].utf8))
            }
        }
    }

    /// Base64 as kustomize writes generated data: when the encoding is 70 characters or longer, it is cut into
    /// lines of 70, each ending in a newline (so the value prints as a literal block); shorter ones stay one line.
    static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Data(bytes).base64EncodedString()
        guard encoded.utf8.count >= 70 else { return encoded }
        var result = ""
        result.reserveCapacity(encoded.utf8.count + encoded.utf8.count / 70 + 1)
        var line = Substring(encoded)
        while !line.isEmpty {
            result += line.prefix(70)
            result += "\n"
            line = line.dropFirst(70)
        }
        return result
    }

    static func unquote(_ value: String) -> String {
        if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
            return String(value.dropFirst().dropLast())
        }
        return value
    }
}
