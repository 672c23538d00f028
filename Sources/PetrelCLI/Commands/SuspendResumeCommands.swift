import ArgumentParser
import KubeClient
import KubeCore

/// `petrel suspend source|kustomization NAME`: stop reconciling an object (`spec.suspend: true`).
struct SuspendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend", abstract: "Stop reconciling an object until it is resumed.",
        subcommands: [SuspendSourceCommand.self, SuspendKustomizationCommand.self])

    static func suspend(_ cluster: ClusterOptions, kind: PetrelKind, name: String) async throws {
        try await cluster.withSession { session in
            let namespace = session.namespace
            Terminal.progress("suspending \(kind.kind) \(name) in \(namespace) namespace")
            _ = try await session.call(kind.describe(name, namespace: namespace), hint: kind.listHint(namespace: namespace)) {
                () async throws(KubeClientError) in
                try await session.client.patch(
                    kind.resource, namespace: namespace, name: name, .merge(["spec": ["suspend": true]]))
            }
            Terminal.success("\(kind.kind) \(namespace)/\(name) suspended")
        }
    }
}

struct SuspendSourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source", abstract: "Suspend a GitRepository.", aliases: ["gitrepository", "gitrepo"])
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The GitRepository's name.") var name: String

    func run() async throws { try await SuspendCommand.suspend(cluster, kind: .source, name: name) }
}

struct SuspendKustomizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kustomization", abstract: "Suspend a Kustomization.", aliases: ["ks"])
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The Kustomization's name.") var name: String

    func run() async throws { try await SuspendCommand.suspend(cluster, kind: .kustomization, name: name) }
}

/// `petrel resume source|kustomization NAME`: reconcile again (`spec.suspend: false`), request a reconcile and wait.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resume a suspended object, request a reconcile and wait for the result.",
        subcommands: [ResumeSourceCommand.self, ResumeKustomizationCommand.self])

    static func resume(_ cluster: ClusterOptions, kind: PetrelKind, name: String, wait: WaitOptions, noWait: Bool)
        async throws
    {
        try await cluster.withSession { session in
            let namespace = session.namespace
            Terminal.progress("resuming \(kind.kind) \(name) in \(namespace) namespace")
            let requestedAt = try await ReconcileRequest.annotate(
                session, kind: kind, name: name, namespace: namespace, spec: ["suspend": false])
            Terminal.success("\(kind.kind) \(namespace)/\(name) resumed")
            guard !noWait else { return }
            Terminal.waiting("waiting for \(kind.kind) reconciliation")
            let summary = try await ReconcileRequest.wait(
                session, kind: kind, name: name, namespace: namespace, requestedAt: requestedAt,
                timeout: wait.duration)
            try ReconcileRequest.report(summary, kind: kind)
        }
    }
}

struct ResumeSourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source", abstract: "Resume a GitRepository.", aliases: ["gitrepository", "gitrepo"])
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var wait: WaitOptions
    @Flag(help: "Do not wait for the reconcile.") var noWait = false
    @Argument(help: "The GitRepository's name.") var name: String

    func run() async throws {
        try await ResumeCommand.resume(cluster, kind: .source, name: name, wait: wait, noWait: noWait)
    }
}

struct ResumeKustomizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kustomization", abstract: "Resume a Kustomization.", aliases: ["ks"])
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var wait: WaitOptions
    @Flag(help: "Do not wait for the reconcile.") var noWait = false
    @Argument(help: "The Kustomization's name.") var name: String

    func run() async throws {
        try await ResumeCommand.resume(cluster, kind: .kustomization, name: name, wait: wait, noWait: noWait)
    }
}
