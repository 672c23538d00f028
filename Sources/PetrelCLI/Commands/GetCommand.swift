import ArgumentParser
import Foundation
import KubeClient
import KubeCore

/// `petrel get sources|kustomizations [NAME]`: a table of Petrel objects, like `flux get`.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Show GitRepositories or Kustomizations and whether they are ready.",
        subcommands: [GetSourcesCommand.self, GetKustomizationsCommand.self])
}

/// The options both `get` subcommands share.
struct GetOptions: ParsableArguments {
    @OptionGroup var cluster: ClusterOptions

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List objects in every namespace.")
    var allNamespaces = false

    @Option(name: [.short, .customLong("output")], help: "Output format: table, json, yaml or name.")
    var output: String = "table"

    @Argument(help: "Show only the object with this name.")
    var name: String?

    func validate() throws {
        guard OutputFormat(rawValue: output) != nil else {
            throw ValidationError("unknown output format '\(output)': use table, json, yaml or name")
        }
        if name != nil && allNamespaces {
            throw ValidationError("a NAME cannot be combined with -A: pass -n NAMESPACE instead")
        }
    }

    func run(kind: PetrelKind) async throws {
        let format = OutputFormat(rawValue: output) ?? .table
        try await cluster.withSession { session in
            let scope = allNamespaces ? nil : session.namespace
            var objects: [JSONValue]
            if let name {
                let object = try await session.call(
                    kind.describe(name, namespace: session.namespace), hint: kind.listHint(namespace: session.namespace)
                ) { () async throws(KubeClientError) in
                    try await session.client.get(kind.resource, namespace: session.namespace, name: name)
                }
                objects = [object]
            } else {
                let list = try await session.call("\(kind.pluralKind)") { () async throws(KubeClientError) in
                    try await session.client.listAll(kind.resource, namespace: scope)
                }
                objects = list.items
            }
            objects.sort {
                ($0.kube.namespace ?? "", $0.kube.name ?? "") < ($1.kube.namespace ?? "", $1.kube.name ?? "")
            }
            switch format {
            case .json, .yaml:
                let value = name == nil ? ObjectPrinter.listObject(objects) : objects[0]
                FileHandle.standardOutput.write(Data(ObjectPrinter.render(value, format: format).utf8))
            case .name:
                for object in objects {
                    print("\(kind.resource.resource).\(kind.resource.group)/\(object.kube.name ?? "")")
                }
            case .table:
                guard !objects.isEmpty else {
                    let place = scope.map { "namespace \"\($0)\"" } ?? "any namespace"
                    Terminal.writeError("No \(kind.pluralKind) found in \(place).")
                    return
                }
                print(Self.table(objects, kind: kind, allNamespaces: allNamespaces).render(coloured: Terminal.stdoutColoured),
                      terminator: "")
            }
        }
    }

    static func table(_ objects: [JSONValue], kind: PetrelKind, allNamespaces: Bool, now: Date = Date()) -> Table {
        var headers = ["NAME", "READY", "STATUS", "REVISION", "SUSPENDED", "AGE"]
        if allNamespaces { headers.insert("NAMESPACE", at: 0) }
        var table = Table(headers: headers)
        for object in objects {
            let summary = ObjectSummary(object, kind: kind)
            var row = [
                Cell(summary.name), Terminal.readyCell(summary.ready),
                Cell(summary.message.replacingOccurrences(of: "\n", with: " ")), Cell(summary.revision),
                Cell(summary.suspended ? "True" : "False", colour: summary.suspended ? .yellow : nil),
                Cell(Timestamps.age(since: summary.creationTimestamp, now: now)),
            ]
            if allNamespaces { row.insert(Cell(summary.namespace), at: 0) }
            table.add(row)
        }
        return table
    }
}

struct GetSourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources", abstract: "Show GitRepositories.",
        aliases: ["source", "gitrepositories", "gitrepository", "gitrepo", "gitrepos"])

    @OptionGroup var options: GetOptions

    func run() async throws {
        try await options.run(kind: .source)
    }
}

struct GetKustomizationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kustomizations", abstract: "Show Kustomizations.", aliases: ["kustomization", "ks"])

    @OptionGroup var options: GetOptions

    func run() async throws {
        try await options.run(kind: .kustomization)
    }
}
