import Foundation
import KubeCore

/// The `replacements` transformer: copy a field of one resource into fields of others.
struct Replacements {
    let loader: Loader
    let kustomization: Kustomization
    let directory: String

    private var file: String { kustomization.file }

    func apply(to resources: inout [Resource]) throws(KustomizeError) {
        for entry in try kustomization.objects("replacements") {
            var replacements = [entry]
            if let path = entry["path"]?.stringValue {
                let resolved = try loader.resolveFile(path, from: directory)
                replacements = try YAMLCodec.parseStream(try loader.readText(resolved), file: loader.relative(resolved))
                    .flatMap { $0.arrayValue ?? [$0] }
            }
            for replacement in replacements { try applyOne(replacement, to: &resources) }
        }
    }

    private func applyOne(_ replacement: JSONValue, to resources: inout [Resource]) throws(KustomizeError) {
        guard let source = replacement["source"] else {
            throw .invalidField(file: file, field: "replacements", detail: "a replacement needs a 'source'")
        }
        let selector = Selector(source)
        let sources = resources.filter { selector.matches($0) }
        guard sources.count == 1, let origin = sources.first else {
            throw .invalidField(
                file: file, field: "replacements.source",
                detail: sources.isEmpty ? "nothing matches the source" : "more than one resource matches the source")
        }
        let fieldPath = source["fieldPath"]?.stringValue ?? "metadata.name"
        guard var value = FieldPath.get(FieldPath.parse(fieldPath), in: origin.object) else {
            throw .invalidField(file: file, field: "replacements.source.fieldPath", detail: "'\(fieldPath)' not found")
        }
        if let delimiter = source[path: ["options", "delimiter"]]?.stringValue, let text = value.stringValue {
            let parts = text.components(separatedBy: delimiter)
            let index = Int(source[path: ["options", "index"]]?.integerValue ?? 0)
            guard parts.indices.contains(index) else {
                throw .invalidField(file: file, field: "replacements.source.options.index", detail: "out of range")
            }
            value = .string(parts[index])
        }
        for target in replacement["targets"]?.arrayValue ?? [] {
            let select = Selector(target["select"])
            let rejects = (target["reject"]?.arrayValue ?? []).map { Selector($0) }
            let options = target["options"]
            let create = options?["create"]?.boolValue ?? false
            for index in resources.indices {
                let resource = resources[index]
                guard select.matches(resource), !rejects.contains(where: { $0.matches(resource) }) else { continue }
                for pathValue in target["fieldPaths"]?.arrayValue ?? [] {
                    guard let path = pathValue.stringValue else { continue }
                    FieldPath.update(FieldPath.parse(path)[...], in: &resources[index].object, create: create) { old in
                        guard let delimiter = options?["delimiter"]?.stringValue, let oldText = old?.stringValue else {
                            return value
                        }
                        var parts = oldText.components(separatedBy: delimiter)
                        let position = Int(options?["index"]?.integerValue ?? 0)
                        let text = ContentHash.scalarText(value)
                        if parts.indices.contains(position) {
                            parts[position] = text
                        } else if position < 0 {
                            parts.insert(text, at: 0)
                        } else {
                            parts.append(text)
                        }
                        return .string(parts.joined(separator: delimiter))
                    }
                }
            }
        }
    }
}

/// kustomize field paths: `spec.template.spec.containers.[name=app].image`, `a.0.b`, `a.*.b`.
enum FieldPath {
    static func parse(_ path: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in path {
            if character == "[" { depth += 1 }
            if character == "]" { depth -= 1 }
            if character == "." && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts.filter { !$0.isEmpty }
    }

    static func get(_ path: [String], in value: JSONValue) -> JSONValue? {
        var current = value
        for segment in path {
            if let items = current.arrayValue {
                guard let index = matchingIndices(segment, items).first else { return nil }
                current = items[index]
            } else {
                let key =
                    segment.hasPrefix("[") && segment.hasSuffix("]") ? String(segment.dropFirst().dropLast()) : segment
                guard let next = current[key] else { return nil }
                current = next
            }
        }
        return current
    }

    private static func matchingIndices(_ segment: String, _ items: [JSONValue]) -> [Int] {
        if segment == "*" { return Array(items.indices) }
        if let index = Int(segment) { return items.indices.contains(index) ? [index] : [] }
        let inner =
            segment.hasPrefix("[") && segment.hasSuffix("]") ? segment.dropFirst().dropLast() : Substring(segment)
        guard let equals = inner.firstIndex(of: "=") else { return [] }
        let key = String(inner[..<equals])
        let expected = String(inner[inner.index(after: equals)...])
        return items.indices.filter { items[$0][key].map(ContentHash.scalarText) == expected }
    }

    static func update(
        _ path: ArraySlice<String>, in value: inout JSONValue, create: Bool, _ transform: (JSONValue?) -> JSONValue
    ) {
        guard let segment = path.first else { return }
        let rest = path.dropFirst()
        if var items = value.arrayValue {
            for index in matchingIndices(segment, items) {
                if rest.isEmpty {
                    items[index] = transform(items[index])
                } else {
                    update(rest, in: &items[index], create: create, transform)
                }
            }
            value = .array(items)
            return
        }
        guard var object = value.objectValue else { return }
        let key = segment.hasPrefix("[") && segment.hasSuffix("]") ? String(segment.dropFirst().dropLast()) : segment
        if rest.isEmpty {
            if object[key] == nil && !create { return }
            object[key] = transform(object[key])
        } else {
            var child: JSONValue
            if let existing = object[key] {
                child = existing
            } else if create {
                child = .object(JSONObject())
            } else {
                return
            }
            update(rest, in: &child, create: create, transform)
            object[key] = child
        }
        value = .object(object)
    }
}
