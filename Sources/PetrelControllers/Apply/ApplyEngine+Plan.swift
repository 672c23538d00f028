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
        /// The digest of the object as sent, when verifications are kept (see ``VerifiedObject``).
        var digest: String? = nil
        /// The verification this plan establishes without a write (`unchanged`), if any.
        var verified: VerifiedObject? = nil
        /// Found `unchanged` from a previous verification, without a dry-run.
        var reused = false
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

    /// What is known of an object's live state before planning it.
    enum LiveHint: Sendable {
        /// Nothing: read it (`GET`) first.
        case unknown
        /// Found by the owner-label list: this is the live object.
        case listed(JSONValue)
        /// Absent from the owner-label list: it does not exist or is not labelled as ours. The dry-run result tells
        /// which (a dry-run create has no `resourceVersion`), so an absent object costs no `GET`.
        case notListed
    }

    /// Plans `items` with at most ``concurrency`` in flight (Flux's `--concurrent-ssa`), results in input order.
    ///
    /// With owner labels in `options`, the live objects of each resource and namespace holding several items are
    /// read with one labelled `LIST` instead of a `GET` each.
    func plans(_ items: [Desired], options: ApplyOptions) async -> [Result<Plan, PlanFailure>] {
        let hints = await liveHints(items, options: options)
        // No local function capturing the group and a mutable cursor here: that shape crashed in release builds
        // (memory corruption seen as traps in Array.subscript.modify and URL parsing).
        let planOne: @Sendable (Int, Desired, LiveHint) async -> (Int, Result<Plan, PlanFailure>) = { index, item, hint in
            do throws(PlanFailure) {
                return (index, .success(try await self.plan(item, options: options, hint: hint)))
            } catch {
                return (index, .failure(error))
            }
        }
        return await withTaskGroup(of: (Int, Result<Plan, PlanFailure>).self) { group in
            var results = [Result<Plan, PlanFailure>?](repeating: nil, count: items.count)
            var pending = Array(zip(items, hints).enumerated()).reversed().map { ($0.offset, $0.element.0, $0.element.1) }
            for _ in 0..<min(concurrency, items.count) {
                if let (index, item, hint) = pending.popLast() { group.addTask { await planOne(index, item, hint) } }
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if let (nextIndex, item, hint) = pending.popLast() {
                    group.addTask { await planOne(nextIndex, item, hint) }
                }
            }
            return results.compactMap { $0 }
        }
    }

    /// The live objects of `items` found by one owner-label `LIST` per resource and namespace holding at least
    /// two items; `.unknown` for the rest and whenever locating or listing fails (planning then reads and reports
    /// as before).
    func liveHints(_ items: [Desired], options: ApplyOptions) async -> [LiveHint] {
        var hints = [LiveHint](repeating: .unknown, count: items.count)
        guard !options.labels.isEmpty, items.count > 1 else { return hints }
        struct Group: Hashable { var resource: GroupVersionResource; var namespace: String? }
        var groups: [Group: [Int]] = [:]
        for (index, item) in items.enumerated() {
            guard let (resource, namespace) = try? await client.locate(item.object) else { continue }
            groups[Group(resource: resource, namespace: namespace), default: []].append(index)
        }
        let selector = options.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        for (group, indices) in groups where indices.count > 1 {
            var query = QueryOptions()
            query.labelSelector = selector
            guard let listed = try? await client.listAll(group.resource, namespace: group.namespace, options: query)
            else { continue }
            var byName: [String: JSONValue] = [:]
            for object in listed.items { if let name = object.kube.name { byName[name] = object } }
            for index in indices {
                hints[index] = byName[items[index].id.name].map { .listed($0) } ?? .notListed
            }
        }
        return hints
    }

    /// Locates the object through discovery, reads it (unless `hint` says), dry-runs it and decides what to do.
    ///
    /// With ``ApplyOptions/verification``, an object whose manifest digest, live `uid` and live `resourceVersion`
    /// all equal its previous verification is `unchanged` without a dry-run (``Plan/reused``): neither Petrel's
    /// manifest nor the live object changed since a dry-run or apply of exactly this manifest left them equal.
    /// Objects with a `kustomize.petrel.dev/ssa` policy always take the dry-run path.
    func plan(_ desired: Desired, options: ApplyOptions, hint: LiveHint = .unknown) async throws(PlanFailure) -> Plan {
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
        if namespace != nil, (item.object.kube.namespace ?? "").isEmpty {
            // As Flux: a namespaced object must say where it goes; never fall back to the controller's namespace.
            throw PlanFailure(
                failure: ApplyFailure(
                    id: item.id,
                    message: "\(item.id) namespace not specified: set metadata.namespace in the manifest, "
                        + "namespace in its kustomization.yaml, or spec.targetNamespace on the Kustomization"),
                phase: .discovery, cause: .configuration("namespace not specified"))
        }
        item.id.namespace = namespace ?? ""
        item.object.kube.namespace = namespace
        // The digest of exactly what is sent, computed only when verifications are kept.
        let digest = options.verification.map { _ in VerifiedObject.digest(of: item.object, resource: resource) }
        let finalItem = item
        func made(_ step: Step, takeover: JSONValue? = nil, verified: VerifiedObject? = nil, reused: Bool = false) -> Plan {
            Plan(
                item: finalItem, resource: resource, namespace: namespace, step: step, takeover: takeover,
                digest: digest, verified: verified, reused: reused)
        }
        let policy = ObjectPolicy(item.object)
        var earlyDryRun: Result<JSONValue, KubeClientError>?
        let live: JSONValue?
        switch hint {
        case .listed(let object):
            live = object
        case .notListed where !policy.excluded:
            let result = await dryRunApply(item, resource: resource, namespace: namespace)
            if case .success(let dryRun) = result, (dryRun.kube.resourceVersion ?? "").isEmpty {
                // A dry-run create: the object does not exist.
                return made(.create)
            }
            earlyDryRun = result
            live = try await read(item, resource: resource, namespace: namespace)
        case .notListed, .unknown:
            live = try await read(item, resource: resource, namespace: namespace)
        }
        if policy.excluded || live.map({ ObjectPolicy($0).excluded }) == true || (policy.ifNotPresent && live != nil) {
            return made(.skip)
        }
        try await checkOwnership(item, live: live, options: options)
        if earlyDryRun == nil, policy.ssa.isEmpty, let digest, let live, let prior = options.verification?.prior[item.id],
            prior.digest == digest, prior.matches(live)
        {
            // Unchanged since verified: the same manifest, and the live object is the very version verified.
            return made(.unchanged, verified: prior, reused: true)
        }
        let dryRunResult: Result<JSONValue, KubeClientError>
        if let earlyDryRun {
            dryRunResult = earlyDryRun
        } else {
            dryRunResult = await dryRunApply(item, resource: resource, namespace: namespace)
        }
        let dryRun: JSONValue
        switch dryRunResult {
        case .success(let result):
            dryRun = result
        case .failure(let error):
            if live != nil, options.force || policy.force, Self.isImmutableFieldError(error) {
                return made(.recreate)
            }
            throw PlanFailure(
                failure: ApplyFailure(id: item.id, message: "\(item.id) dry-run failed (\(error.reason)): \(Self.describe(error))"),
                phase: .dryRun, cause: error)
        }
        guard let live else { return made(.create) }
        if !policy.merge, let takeover = Self.managedFieldsTakingOver(live, manager: fieldManager) {
            return made(.configure, takeover: takeover)
        }
        let drifted = !Self.comparable(dryRun).semanticallyEquals(Self.comparable(live))
        if drifted { return made(.configure) }
        // Verified without a write only when the dry-run ran against the very version compared with.
        let sameVersion =
            dryRun.kube.uid == live.kube.uid && dryRun.kube.resourceVersion == live.kube.resourceVersion
        return made(.unchanged, verified: sameVersion ? digest.flatMap { VerifiedObject(digest: $0, object: live) } : nil)
    }

    /// The live object, or nil when it does not exist.
    private func read(_ item: Desired, resource: GroupVersionResource, namespace: String?) async throws(PlanFailure) -> JSONValue? {
        do {
            return try await client.get(resource, namespace: namespace, name: item.id.name)
        } catch where error.isNotFound {
            return nil
        } catch {
            throw PlanFailure(
                failure: ApplyFailure(id: item.id, message: "\(item.id) failed to read the live object: \(error.message)"),
                phase: .read, cause: error)
        }
    }

    /// A forced server-side dry-run apply of the item.
    private func dryRunApply(
        _ item: Desired, resource: GroupVersionResource, namespace: String?
    ) async -> Result<JSONValue, KubeClientError> {
        do {
            return .success(
                try await client.apply(
                    resource, namespace: namespace, item.object, fieldManager: fieldManager, force: true, dryRun: true))
        } catch {
            return .failure(error)
        }
    }

    /// Performs the plans' writes, results in plan order. Consecutive plans of one kind are written up to
    /// ``concurrency`` at a time; kinds still go one after another in apply order (a ServiceAccount before the Pod
    /// naming it, a LimitRange before what it limits).
    func execute(_ plans: [Plan]) async -> [Result<Executed, ApplyFailure>] {
        var results: [Result<Executed, ApplyFailure>] = []
        results.reserveCapacity(plans.count)
        var start = 0
        while start < plans.count {
            var end = start + 1
            while end < plans.count, plans[end].item.id.kind == plans[start].item.id.kind,
                plans[end].item.id.group == plans[start].item.id.group
            {
                end += 1
            }
            results += await executeConcurrently(Array(plans[start..<end]))
            start = end
        }
        return results
    }

    /// Writes `plans` with at most ``concurrency`` in flight; results in input order.
    private func executeConcurrently(_ plans: [Plan]) async -> [Result<Executed, ApplyFailure>] {
        let executeOne: @Sendable (Int, Plan) async -> (Int, Result<Executed, ApplyFailure>) = { index, plan in
            do throws(ApplyFailure) { return (index, .success(try await self.execute(plan))) } catch {
                return (index, .failure(error))
            }
        }
        // Nothing to write: no tasks.
        if plans.allSatisfy({ $0.step == .skip || $0.step == .unchanged }) {
            return plans.map { plan in
                .success(
                    Executed(
                        entry: ChangeSetEntry(id: plan.item.id, action: plan.step == .skip ? .skipped : .unchanged),
                        verified: plan.verified, reused: plan.reused))
            }
        }
        return await withTaskGroup(of: (Int, Result<Executed, ApplyFailure>).self) { group in
            var results = [Result<Executed, ApplyFailure>?](repeating: nil, count: plans.count)
            var pending = Array(plans.enumerated()).reversed().map { ($0.offset, $0.element) }
            for _ in 0..<min(concurrency, plans.count) {
                if let (index, plan) = pending.popLast() { group.addTask { await executeOne(index, plan) } }
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if let (nextIndex, plan) = pending.popLast() { group.addTask { await executeOne(nextIndex, plan) } }
            }
            return results.compactMap { $0 }
        }
    }

    /// What executing one plan did: its change-set entry and, when kept, the object's new verification.
    struct Executed: Sendable {
        var entry: ChangeSetEntry
        var verified: VerifiedObject?
        var reused: Bool
    }

    /// Performs a plan's write, if any; the verification is the server's answer to the apply (or the plan's own).
    func execute(_ plan: Plan) async throws(ApplyFailure) -> Executed {
        let id = plan.item.id
        func executed(_ action: ChangeAction, response: JSONValue?) -> Executed {
            let verified = response.flatMap { response in plan.digest.flatMap { VerifiedObject(digest: $0, object: response) } }
            return Executed(entry: ChangeSetEntry(id: id, action: action), verified: verified, reused: false)
        }
        switch plan.step {
        case .skip: return Executed(entry: ChangeSetEntry(id: id, action: .skipped), verified: nil, reused: false)
        case .unchanged:
            return Executed(entry: ChangeSetEntry(id: id, action: .unchanged), verified: plan.verified, reused: plan.reused)
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
            let response = try await write(plan)
            return executed(plan.step == .create ? .created : .configured, response: response)
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
            return executed(.created, response: try await write(plan))
        }
    }

    /// Applies the plan's object; returns the server's answer (the object as written).
    private func write(_ plan: Plan) async throws(ApplyFailure) -> JSONValue {
        do {
            return try await client.apply(
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

    /// The object without status and server-managed metadata, for drift comparison (also `petrel diff`'s view).
    package static func comparable(_ object: JSONValue) -> JSONValue {
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
