import KubeClient
import KubeCore
import Logging

extension ApplyEngine {
    /// A manifest with the engine's labels added and its identity.
    struct Desired: Sendable {
        var id: ResourceID
        var object: JSONValue
    }

    /// What a dry-run decided for one object.
    enum Step: Sendable, Equatable {
        case skip, unchanged, create, configure, recreate
    }

    /// A located object and its step.
    struct Plan: Sendable {
        var item: Desired
        var resource: GroupVersionResource
        var namespace: String?
        var step: Step
        /// `managedFields` to write before applying, taking over other managers' fields (nil: none).
        var takeover: JSONValue? = nil
    }

    /// Why planning one object failed, keeping the client error to recognise deferrable failures.
    struct PlanFailure: Error {
        enum Phase { case discovery, read, dryRun }
        var failure: ApplyFailure
        var phase: Phase
        var cause: KubeClientError
    }

    /// Checks every manifest has an identity, adds `options.labels`, drops exact duplicates.
    func prepare(_ objects: [JSONValue], options: ApplyOptions) throws(ApplyError) -> [Desired] {
        var result: [Desired] = []
        var seen: Set<ResourceID> = []
        for object in objects {
            guard object.objectValue != nil, let id = ResourceID(object: object) else {
                let kind = object["kind"]?.stringValue ?? "<no kind>"
                let name = object[path: ["metadata", "name"]]?.stringValue ?? "<no name>"
                throw .invalidManifest("\(kind)/\(name) needs apiVersion, kind and metadata.name")
            }
            var labeled = object
            if !options.labels.isEmpty {
                var labels = object.kube.labels
                labels.merge(options.labels) { $1 }
                labeled.kube.labels = labels
            }
            let caBundle = ["spec", "conversion", "webhook", "clientConfig", "caBundle"]
            if Self.isCRD(id), labeled[path: caBundle] != nil {
                // Flux's RemoveCABundleFromCRD: the bundle is injected in the cluster, not kept in Git.
                labeled.set(path: caBundle, to: nil)
            }
            if seen.insert(id).inserted { result.append(Desired(id: id, object: labeled)) }
        }
        return result
    }

    func sortedForApply(_ items: [Desired]) -> [Desired] {
        items.sorted { ApplyOrder.applyPrecedes($0.id, $1.id) }
    }

    /// Plans `items` with at most ``concurrency`` in flight (Flux's `--concurrent-ssa`), results in input order.
    func plans(_ items: [Desired], options: ApplyOptions) async -> [Result<Plan, PlanFailure>] {
        // No local function capturing the group and a mutable cursor here: that shape crashed in release builds
        // (memory corruption seen as traps in Array.subscript.modify and URL parsing).
        let planOne: @Sendable (Int, Desired) async -> (Int, Result<Plan, PlanFailure>) = { index, item in
            do throws(PlanFailure) { return (index, .success(try await self.plan(item, options: options))) } catch {
                return (index, .failure(error))
            }
        }
        return await withTaskGroup(of: (Int, Result<Plan, PlanFailure>).self) { group in
            var results = [Result<Plan, PlanFailure>?](repeating: nil, count: items.count)
            var pending = Array(items.enumerated()).reversed().map { ($0.offset, $0.element) }
            for _ in 0..<min(concurrency, items.count) {
                if let (index, item) = pending.popLast() { group.addTask { await planOne(index, item) } }
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if let (nextIndex, item) = pending.popLast() { group.addTask { await planOne(nextIndex, item) } }
            }
            return results.compactMap { $0 }
        }
    }

    /// Locates the object through discovery, reads it, dry-runs it and decides what to do.
    func plan(_ desired: Desired, options: ApplyOptions) async throws(PlanFailure) -> Plan {
        var item = desired
        let located: (GroupVersionResource, String?)
        do {
            located = try await client.locate(item.object)
        } catch {
            let text: String
            if case .resourceNotFound(let gvk) = error {
                text = "no matches for kind \"\(gvk.kind)\" in version \"\(gvk.apiVersion)\"; is the CRD installed?"
            } else {
                text = "failed to discover its resource: \(error.message)"
            }
            throw PlanFailure(failure: ApplyFailure(id: item.id, message: "\(item.id) \(text)"), phase: .discovery, cause: error)
        }
        let (resource, namespace) = located
        item.id.namespace = namespace ?? ""
        item.object.kube.namespace = namespace
        let policy = ObjectPolicy(item.object)
        var live: JSONValue?
        do {
            live = try await client.get(resource, namespace: namespace, name: item.id.name)
        } catch where error.isNotFound {
            live = nil
        } catch {
            throw PlanFailure(
                failure: ApplyFailure(id: item.id, message: "\(item.id) failed to read the live object: \(error.message)"),
                phase: .read, cause: error)
        }
        if policy.excluded || live.map({ ObjectPolicy($0).excluded }) == true || (policy.ifNotPresent && live != nil) {
            return Plan(item: item, resource: resource, namespace: namespace, step: .skip)
        }
        let dryRun: JSONValue
        do {
            dryRun = try await client.apply(
                resource, namespace: namespace, item.object, fieldManager: fieldManager, force: true, dryRun: true)
        } catch {
            if live != nil, options.force || policy.force, Self.isImmutableFieldError(error) {
                return Plan(item: item, resource: resource, namespace: namespace, step: .recreate)
            }
            throw PlanFailure(
                failure: ApplyFailure(id: item.id, message: "\(item.id) dry-run failed (\(error.reason)): \(Self.describe(error))"),
                phase: .dryRun, cause: error)
        }
        guard let live else { return Plan(item: item, resource: resource, namespace: namespace, step: .create) }
        if !policy.merge, let takeover = Self.managedFieldsTakingOver(live, manager: fieldManager) {
            return Plan(item: item, resource: resource, namespace: namespace, step: .configure, takeover: takeover)
        }
        let drifted = !Self.comparable(dryRun).semanticallyEquals(Self.comparable(live))
        return Plan(item: item, resource: resource, namespace: namespace, step: drifted ? .configure : .unchanged)
    }

    /// Performs a plan's write, if any.
    func execute(_ plan: Plan) async throws(ApplyFailure) -> ChangeSetEntry {
        let id = plan.item.id
        switch plan.step {
        case .skip: return ChangeSetEntry(id: id, action: .skipped)
        case .unchanged: return ChangeSetEntry(id: id, action: .unchanged)
        case .create, .configure:
            if let takeover = plan.takeover {
                do {
                    _ = try await client.patch(
                        plan.resource, namespace: plan.namespace, name: id.name,
                        .json([["op": "replace", "path": "/metadata/managedFields", "value": takeover]]))
                } catch {
                    throw ApplyFailure(id: id, message: "\(id) failed to take over its fields from other managers: \(error.message)")
                }
            }
            try await write(plan)
            return ChangeSetEntry(id: id, action: plan.step == .create ? .created : .configured)
        case .recreate:
            logger.info("recreating \(id): an immutable field changed")
            do {
                try await client.delete(
                    plan.resource, namespace: plan.namespace, name: id.name,
                    options: DeleteOptions(propagationPolicy: .background))
            } catch where !error.isNotFound {
                throw ApplyFailure(id: id, message: "\(id) immutable field changed, failed to delete it: \(error.message)")
            } catch {}
            try await waitDeleted(plan)
            try await write(plan)
            return ChangeSetEntry(id: id, action: .created)
        }
    }

    private func write(_ plan: Plan) async throws(ApplyFailure) {
        do {
            _ = try await client.apply(
                plan.resource, namespace: plan.namespace, plan.item.object, fieldManager: fieldManager, force: true)
        } catch {
            throw ApplyFailure(id: plan.item.id, message: "\(plan.item.id) apply failed (\(error.reason)): \(Self.describe(error))")
        }
    }

    private func waitDeleted(_ plan: Plan) async throws(ApplyFailure) {
        let id = plan.item.id
        let deadline = ContinuousClock.now + deletionTimeout
        var delay = Duration.milliseconds(50)
        while ContinuousClock.now < deadline {
            do {
                _ = try await client.get(plan.resource, namespace: plan.namespace, name: id.name)
            } catch where error.isNotFound {
                return
            } catch {
                throw ApplyFailure(id: id, message: "\(id) failed to read it while waiting for its deletion: \(error.message)")
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
        throw ApplyFailure(id: id, message: "\(id) was not deleted within \(deletionTimeout) for its recreation")
    }

    /// Waits until every CRD in `crds` reports `Established=True`, then drops the discovery cache so their kinds resolve.
    func waitEstablished(_ crds: [Desired]) async throws(ApplyError) {
        let resource = GroupVersionResource(group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions")
        var pending = crds.map(\.id)
        let deadline = ContinuousClock.now + establishTimeout
        var delay = Duration.milliseconds(50)
        while true {
            var still: [ResourceID] = []
            for id in pending {
                let crd = try? await client.get(resource, name: id.name)
                let established = (crd?[path: ["status", "conditions"]]?.arrayValue ?? []).contains {
                    $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True"
                }
                if !established { still.append(id) }
            }
            pending = still
            if pending.isEmpty { break }
            if ContinuousClock.now >= deadline { throw .notEstablished(pending) }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
        await client.discovery.invalidate()
    }

    /// The `group/Kind` a CRD manifest defines.
    static func kindDefined(byCRD item: Desired) -> String? {
        guard isCRD(item.id), let group = item.object[path: ["spec", "group"]]?.stringValue,
            let kind = item.object[path: ["spec", "names", "kind"]]?.stringValue
        else { return nil }
        return "\(group)/\(kind)"
    }

    static func isCRD(_ id: ResourceID) -> Bool {
        id.kind == "CustomResourceDefinition" && id.group == "apiextensions.k8s.io"
    }

    /// Why a validation failure can wait for the apply stage, or nil when it is a real failure.
    func deferredNote(_ failure: PlanFailure, _ item: Desired, definedKinds: Set<String>, namespaces: Set<String>) -> String? {
        if failure.phase == .discovery, case .resourceNotFound = failure.cause,
            definedKinds.contains("\(item.id.group)/\(item.id.kind)")
        {
            return "its CustomResourceDefinition is created by the same set"
        }
        let namespace = item.object.kube.namespace ?? client.config.namespace
        if failure.phase == .dryRun, failure.cause.isNotFound, namespaces.contains(namespace),
            failure.cause.status?.detailsKind == "namespaces" || failure.cause.message.contains("namespaces \"\(namespace)\"")
        {
            return "its Namespace \(namespace) is created by the same set"
        }
        return nil
    }

    /// The object without status and server-managed metadata, for drift comparison.
    static func comparable(_ object: JSONValue) -> JSONValue {
        var copy = object
        copy["status"] = nil
        for field in ["managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"] {
            copy.set(path: ["metadata", field], to: nil)
        }
        return copy
    }

    /// Whether the server rejected an update because an immutable field changed.
    static func isImmutableFieldError(_ error: KubeClientError) -> Bool {
        guard case .invalid(let status) = error else { return false }
        let texts = [status.message] + status.causes.map(\.message)
        return texts.contains { text in
            let lower = text.lowercased()
            return lower.contains("field is immutable") || lower.contains("immutable field")
                || lower.contains("may not change once set") || lower.contains("cannot change")
        }
    }

    /// The server's message, plus the fields of its causes when the message does not name them.
    static func describe(_ error: KubeClientError) -> String {
        let message = error.message
        let missing = error.causes.filter { !$0.field.isEmpty && !message.contains($0.field) }
        if missing.isEmpty { return message }
        return message + " (" + missing.map { "\($0.field): \($0.message)" }.joined(separator: ", ") + ")"
    }
}
