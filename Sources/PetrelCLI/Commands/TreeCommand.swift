import ArgumentParser
import KubeClient
import KubeCore
import PetrelAPI

/// `petrel tree kustomization NAME`: the objects a Kustomization applied (its inventory), nested Kustomizations
/// expanded.
struct TreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree", abstract: "Show what a Kustomization applied, as a tree.",
        subcommands: [TreeKustomizationCommand.self])
}

struct TreeKustomizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kustomization", abstract: "Show a Kustomization's inventory, nested Kustomizations expanded.",
        aliases: ["kustomizations", "ks"])

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The Kustomization's name.") var name: String

    /// A node of the tree: an object and, for a nested Kustomization, what it applied.
    struct Node: Sendable {
        var label: String
        var children: [Node] = []
    }

    func run() async throws {
        try await cluster.withSession { session in
            let namespace = session.namespace
            let root = try await ReconcileRequest.fetch(session, kind: .kustomization, name: name, namespace: namespace)
            var visited: Set<String> = ["\(namespace)/\(name)"]
            let tree = try await Self.expand(root, session: session, visited: &visited)
            print(Self.render(tree), terminator: "")
            if (root[path: ["status", "inventory", "entries"]]?.arrayValue ?? []).isEmpty {
                Terminal.writeError("\(PetrelKind.kustomization.describe(name, namespace: namespace)) has no inventory yet.")
            }
        }
    }

    /// The node of a Kustomization object, reading nested Kustomizations from the cluster.
    static func expand(_ kustomization: JSONValue, session: Session, visited: inout Set<String>) async throws(CLIError)
        -> Node
    {
        let namespace = kustomization.kube.namespace ?? ""
        var node = Node(label: "Kustomization/\(namespace)/\(kustomization.kube.name ?? "")")
        for entry in kustomization[path: ["status", "inventory", "entries"]]?.arrayValue ?? [] {
            let reference = ResourceRef(id: entry["id"]?.stringValue ?? "", v: entry["v"]?.stringValue ?? "")
            guard let parts = reference.parts else {
                node.children.append(Node(label: "<invalid inventory entry \(reference.id)>"))
                continue
            }
            let label = parts.namespace.isEmpty
                ? "\(parts.kind)/\(parts.name)" : "\(parts.kind)/\(parts.namespace)/\(parts.name)"
            let isKustomization = parts.kind == Kustomization.kind && parts.group == PetrelKind.kustomization.resource.group
            let key = "\(parts.namespace)/\(parts.name)"
            guard isKustomization, !visited.contains(key) else {
                node.children.append(Node(label: label))
                continue
            }
            visited.insert(key)
            let nested: JSONValue
            do {
                nested = try await session.client.get(
                    PetrelKind.kustomization.resource, namespace: parts.namespace, name: parts.name)
            } catch {
                if error.isNotFound {
                    node.children.append(Node(label: label + " (not found)"))
                    continue
                }
                throw CLIError.from(
                    error, what: PetrelKind.kustomization.describe(parts.name, namespace: parts.namespace),
                    server: session.config.server)
            }
            node.children.append(try await expand(nested, session: session, visited: &visited))
        }
        return node
    }

    /// The tree drawn with box characters, as `flux tree` draws it.
    static func render(_ root: Node) -> String {
        var out = root.label + "\n"
        func draw(_ children: [Node], prefix: String) {
            for (index, child) in children.enumerated() {
                let last = index == children.count - 1
                out += prefix + (last ? "└── " : "├── ") + child.label + "\n"
                draw(child.children, prefix: prefix + (last ? "    " : "│   "))
            }
        }
        draw(root.children, prefix: "")
        return out
    }
}
