import ArgumentParser
import KubeCore

/// `petrel reconcile source|kustomization NAME`: ask for an immediate reconcile and wait for its result.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Ask the controller to reconcile an object now and wait for the result.",
        discussion: """
            Sets the annotation reconcile.petrel.dev/requestedAt to the current time, waits until the controller \
            reports it in status.lastHandledReconcileAt, then prints the Ready condition's message. Exits 0 when \
            Ready is True, 1 when it is not or the wait timed out, 3 when the object does not exist.
            """,
        subcommands: [ReconcileSourceCommand.self, ReconcileKustomizationCommand.self])
}

/// Options shared by commands that wait for a reconcile.
struct WaitOptions: ParsableArguments {
    @Option(help: "How long to wait for the controller, as a Go duration.")
    var timeout: String = "5m"

    func validate() throws {
        _ = try ReconcileRequest.parseTimeout(timeout)
    }

    var duration: Duration { (try? ReconcileRequest.parseTimeout(timeout)) ?? .seconds(300) }
}

struct ReconcileSourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source", abstract: "Reconcile a GitRepository.",
        aliases: ["sources", "gitrepository", "gitrepositories", "gitrepo"])

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var wait: WaitOptions
    @Argument(help: "The GitRepository's name.") var name: String

    func run() async throws {
        try await cluster.withSession { session in
            try await ReconcileRequest.run(
                session, kind: .source, name: name, namespace: session.namespace, timeout: wait.duration)
        }
    }
}

struct ReconcileKustomizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kustomization", abstract: "Reconcile a Kustomization (and first its source with --with-source).",
        aliases: ["kustomizations", "ks"])

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var wait: WaitOptions
    @Flag(help: "Reconcile the Kustomization's source first.") var withSource = false
    @Argument(help: "The Kustomization's name.") var name: String

    func run() async throws {
        try await cluster.withSession { session in
            let namespace = session.namespace
            if withSource {
                let object = try await ReconcileRequest.fetch(session, kind: .kustomization, name: name, namespace: namespace)
                let sourceKind = object[path: ["spec", "sourceRef", "kind"]]?.stringValue ?? ""
                guard sourceKind == PetrelKind.source.kind,
                    let sourceName = object[path: ["spec", "sourceRef", "name"]]?.stringValue
                else {
                    throw CLIError.failed(
                        "\(PetrelKind.kustomization.describe(name, namespace: namespace)) has source kind "
                            + "'\(sourceKind)', which petrel cannot reconcile: drop --with-source")
                }
                let sourceNamespace = object[path: ["spec", "sourceRef", "namespace"]]?.stringValue ?? namespace
                try await ReconcileRequest.run(
                    session, kind: .source, name: sourceName, namespace: sourceNamespace, timeout: wait.duration)
            }
            try await ReconcileRequest.run(
                session, kind: .kustomization, name: name, namespace: namespace, timeout: wait.duration)
        }
    }
}
