import ArgumentParser
import Foundation
import KubeClient
import KubeCore
import Kustomize
import PetrelAPI
import PetrelControllers

/// `petrel diff kustomization NAME --path DIR`: what applying DIR through Kustomization NAME would change.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Show what a Kustomization would change in the cluster.",
        subcommands: [DiffKustomizationCommand.self])
}

struct DiffKustomizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kustomization",
        abstract: "Diff a local directory, built with a Kustomization's overrides, against the cluster.",
        discussion: """
            DIR is built as `petrel build kustomization NAME --path DIR` builds it, then each object is applied \\
            server-side with dryRun=All (nothing is written) and the result compared with the live object. \\
            Prints `► Kind/namespace/name created` for new objects, `► … drifted` followed by a unified diff \\
            (live against after-apply; metadata.managedFields, resourceVersion, generation, uid, \\
            creationTimestamp and status left out; Secret values masked as `***`, `*** (before)` / `*** (after)`) \\
            for changed ones, and `► … deleted` for objects of the Kustomization's inventory that the build no \\
            longer holds when spec.prune is true. Objects annotated kustomize.petrel.dev/reconcile: disabled are \\
            skipped.
            Exit codes (as `flux diff` and `kubectl diff`): 0 no differences, 1 differences, 2 the build or a \\
            dry-run failed (or usage error), 3 the Kustomization was not found or the cluster is unreachable.
            """,
        aliases: ["kustomizations", "ks"])

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The Kustomization's name.") var name: String
    @Option(help: "The local directory to build in place of the Kustomization's spec.path.", completion: .directory)
    var path: String
    @Option(
        name: .customLong("field-manager"),
        help: "The field manager of the dry-run apply (default: the controller's, so removed fields show as removed).")
    var fieldManager: String = KustomizationReconciler.fieldManager

    func run() async throws {
        let outcome: KustomizationDiff.Outcome
        do {
            outcome = try await cluster.withSession { session in
                let build = try await KustomizationBuild.run(
                    session, name: name, namespace: session.namespace, directory: path)
                return await KustomizationDiff.run(session, build: build, fieldManager: fieldManager)
            }
        } catch let error as CLIError {
            // Exit 1 means "differences" here, so a failure is at least 2.
            throw error.exitCode == 1 ? CLIError.diffFailed(error.message) : error
        }
        let coloured = Terminal.stdoutColoured
        var text = ""
        for change in outcome.changes {
            let colour: Terminal.Colour =
                switch change.action {
                case .created: .green
                case .drifted: .yellow
                case .deleted: .red
                }
            text += Terminal.paint("► \(change.id) \(change.action.rawValue)", colour, enabled: coloured) + "\n"
            if let diff = change.diff { text += KustomizationDiff.paint(diff, enabled: coloured) }
        }
        FileHandle.standardOutput.write(Data(text.utf8))
        for failure in outcome.failures { Terminal.error(failure) }
        if !outcome.failures.isEmpty {
            throw CLIError.diffFailed(
                "\(outcome.failures.count) object(s) could not be dry-run; "
                    + (outcome.pruneSkipped ? "what would be pruned is not shown. " : "") + "Fix them and run again.")
        }
        if !outcome.changes.isEmpty { throw ExitCode(1) }
    }
}

/// The comparison of a build with the cluster.
enum KustomizationDiff {
    /// What would happen to one object.
    struct Change: Sendable {
        enum Action: String, Sendable {
            case created, drifted, deleted
        }
        var id: String
        var action: Action
        /// The unified diff of a drifted object.
        var diff: String?
    }

    struct Outcome: Sendable {
        var changes: [Change] = []
        /// One line per object that could not be dry-run.
        var failures: [String] = []
        /// Whether pruning was left out because of failures (as Flux does).
        var pruneSkipped = false
    }

    /// Dry-runs every object of `build` and lists creations, drifts and (with `spec.prune`) deletions.
    static func run(_ session: Session, build: KustomizationBuild, fieldManager: String) async -> Outcome {
        let client = session.client
        var outcome = Outcome()
        var seen = Set<ResourceID>()
        let namespacesInBuild = Set(
            build.objects.filter { $0.kube.kind == "Namespace" && ($0.kube.apiVersion ?? "") == "v1" }.compactMap(\.kube.name))
        let kindsInBuild = Set(build.objects.compactMap(kindDefined(byCRD:)))
        for object in build.objects {
            guard var id = ResourceID(object: object) else {
                outcome.failures.append("an object without apiVersion, kind or metadata.name: \(describe(object))")
                continue
            }
            let resource: GroupVersionResource
            let namespace: String?
            do {
                (resource, namespace) = try await client.locate(object)
            } catch {
                if case .resourceNotFound = error, kindsInBuild.contains(GroupKind(id)) {
                    // Its CustomResourceDefinition is created by this same build.
                    seen.insert(id)
                    outcome.changes.append(Change(id: id.description, action: .created))
                } else {
                    outcome.failures.append(build.secrets.redact("\(id): \(error.message)"))
                }
                continue
            }
            id.namespace = namespace ?? ""
            seen.insert(id)
            var desired = object
            if let namespace { desired.kube.namespace = namespace }
            let live: JSONValue?
            do {
                live = try await client.get(resource, namespace: namespace, name: id.name)
            } catch where error.isNotFound {
                live = nil
            } catch {
                outcome.failures.append(build.secrets.redact("\(id): reading the live object failed: \(error.message)"))
                continue
            }
            if isReconcileDisabled(object) || live.map(isReconcileDisabled) == true { continue }
            let merged: JSONValue
            do {
                merged = try await client.apply(
                    resource, namespace: namespace, desired, fieldManager: fieldManager, force: true, dryRun: true)
            } catch {
                if live == nil, error.isNotFound, let namespace, namespacesInBuild.contains(namespace) {
                    // Its Namespace is created by this same build.
                    outcome.changes.append(Change(id: id.description, action: .created))
                } else {
                    outcome.failures.append(build.secrets.redact("\(id): dry-run failed: \(error.message)"))
                }
                continue
            }
            guard let live else {
                outcome.changes.append(Change(id: id.description, action: .created))
                continue
            }
            var before = ApplyEngine.comparable(live)
            var after = ApplyEngine.comparable(merged)
            if before.semanticallyEquals(after) { continue }
            if id.kind == "Secret" && id.group.isEmpty { maskSecretData(&before, &after) }
            let diff = UnifiedDiff.render(
                old: YAMLText.sorted(before), new: YAMLText.sorted(after), oldLabel: "\(id) (live)",
                newLabel: "\(id) (after apply)")
            outcome.changes.append(Change(id: id.description, action: .drifted, diff: diff.isEmpty ? nil : diff))
        }
        guard build.kustomization.spec.prune else { return outcome }
        guard outcome.failures.isEmpty else {
            outcome.pruneSkipped = true
            return outcome
        }
        let stale = (build.kustomization.status.inventory?.entries ?? []).compactMap { ResourceID(inventory: $0) }
            .filter { !seen.contains($0) }
            .sorted { ($0.kind, $0.namespace, $0.name) < ($1.kind, $1.namespace, $1.name) }
        outcome.changes += stale.map { Change(id: $0.description, action: .deleted) }
        return outcome
    }

    /// Group and kind, for matching objects to the CRDs of the build.
    struct GroupKind: Hashable {
        var group: String
        var kind: String
        init(group: String, kind: String) {
            self.group = group
            self.kind = kind
        }
        init(_ id: ResourceID) { self.init(group: id.group, kind: id.kind) }
    }

    static func kindDefined(byCRD object: JSONValue) -> GroupKind? {
        guard object.kube.kind == "CustomResourceDefinition",
            let group = object[path: ["spec", "group"]]?.stringValue,
            let kind = object[path: ["spec", "names", "kind"]]?.stringValue
        else { return nil }
        return GroupKind(group: group, kind: kind)
    }

    static func isReconcileDisabled(_ object: JSONValue) -> Bool {
        object.kube.annotations[WellKnown.reconcileKey]?.lowercased() == WellKnown.disabledValue
            || object.kube.labels[WellKnown.reconcileKey]?.lowercased() == WellKnown.disabledValue
    }

    /// Annotations whose values repeat a Secret's data: kubectl's client-side apply keeps the whole object in
    /// `last-applied-configuration`.
    static let secretDataAnnotations = ["kubectl.kubernetes.io/last-applied-configuration"]

    /// Replaces Secret `data` (and `stringData`) values with masks, as Flux's SSA diff does: `***` where live and
    /// desired agree or a key is on one side only, `*** (before)` / `*** (after)` where the value changes. The
    /// annotations that copy the data (``secretDataAnnotations``) are masked the same way.
    static func maskSecretData(_ before: inout JSONValue, _ after: inout JSONValue) {
        for annotation in secretDataAnnotations {
            let path = ["metadata", "annotations", annotation]
            let old = before[path: path]
            let new = after[path: path]
            let changed = old != nil && new != nil && old != new
            if old != nil { before.set(path: path, to: .string(changed ? "*** (before)" : "***")) }
            if new != nil { after.set(path: path, to: .string(changed ? "*** (after)" : "***")) }
        }
        for field in ["data", "stringData"] {
            let old = before[field]?.objectValue ?? JSONObject()
            let new = after[field]?.objectValue ?? JSONObject()
            var maskedOld = JSONObject()
            var maskedNew = JSONObject()
            for (key, value) in old {
                let changed = new[key].map { $0 != value } ?? false
                maskedOld[key] = changed ? "*** (before)" : "***"
            }
            for (key, value) in new {
                let changed = old[key].map { $0 != value } ?? false
                maskedNew[key] = changed ? "*** (after)" : "***"
            }
            if before[field] != nil { before[field] = .object(maskedOld) }
            if after[field] != nil { after[field] = .object(maskedNew) }
        }
    }

    /// `Kind/name` of an object that has no full identity.
    static func describe(_ object: JSONValue) -> String {
        "\(object.kube.kind ?? "?")/\(object.kube.name ?? "?")"
    }

    /// A diff with removed lines red and added lines green.
    static func paint(_ diff: String, enabled: Bool) -> String {
        guard enabled else { return diff }
        return diff.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("---") || line.hasPrefix("+++") { return Terminal.paint(String(line), .bold, enabled: true) }
            if line.hasPrefix("-") { return Terminal.paint(String(line), .red, enabled: true) }
            if line.hasPrefix("+") { return Terminal.paint(String(line), .green, enabled: true) }
            if line.hasPrefix("@@") { return Terminal.paint(String(line), .blue, enabled: true) }
            return String(line)
        }.joined(separator: "\n")
    }
}

/// YAML with object keys sorted, so that live and desired objects line up whatever order the server wrote.
enum YAMLText {
    static func sorted(_ value: JSONValue) -> String {
        YAMLWriter.document(sortKeys(value))
    }

    static func sortKeys(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(JSONObject(object.keys.sorted().map { ($0, sortKeys(object[$0] ?? .null)) }))
        case .array(let items):
            return .array(items.map(sortKeys))
        default:
            return value
        }
    }
}
