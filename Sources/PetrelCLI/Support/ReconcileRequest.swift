import ArgumentParser
import KubeClient
import KubeCore
import PetrelAPI

/// Asking a controller for a reconcile the way Flux's CLI does: set `reconcile.petrel.dev/requestedAt` to now and
/// wait until the controller echoes it in `status.lastHandledReconcileAt`.
enum ReconcileRequest {
    /// How often the object is read while waiting.
    static let pollInterval: Duration = .milliseconds(500)

    /// Reads an object, failing with exit code 3 when it does not exist.
    static func fetch(_ session: Session, kind: PetrelKind, name: String, namespace: String) async throws(CLIError)
        -> JSONValue
    {
        try await session.call(kind.describe(name, namespace: namespace), hint: kind.listHint(namespace: namespace)) {
            () async throws(KubeClientError) in
            try await session.client.get(kind.resource, namespace: namespace, name: name)
        }
    }

    /// Sets the annotation (plus `spec`, e.g. `suspend: false`, when given) in one merge patch and returns the
    /// requested-at value.
    static func annotate(
        _ session: Session, kind: PetrelKind, name: String, namespace: String, spec: JSONValue? = nil
    ) async throws(CLIError) -> String {
        let requestedAt = Timestamps.rfc3339NanoNow()
        var patch: JSONValue = [
            "metadata": ["annotations": [WellKnown.reconcileRequestedAtAnnotation: .string(requestedAt)]]
        ]
        if let spec { patch["spec"] = spec }
        _ = try await session.call(kind.describe(name, namespace: namespace), hint: kind.listHint(namespace: namespace)) {
            () async throws(KubeClientError) in
            try await session.client.patch(kind.resource, namespace: namespace, name: name, .merge(patch))
        }
        return requestedAt
    }

    /// Waits until the controller handled `requestedAt` and Ready left `Unknown`, or `timeout` passes (exit 1).
    static func wait(
        _ session: Session, kind: PetrelKind, name: String, namespace: String, requestedAt: String, timeout: Duration
    ) async throws(CLIError) -> ObjectSummary {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let object = try await fetch(session, kind: kind, name: name, namespace: namespace)
            let summary = ObjectSummary(object, kind: kind)
            if summary.lastHandledReconcileAt == requestedAt && summary.ready != ConditionStatus.unknown.rawValue {
                return summary
            }
            if ContinuousClock.now >= deadline {
                let handled = summary.lastHandledReconcileAt == requestedAt
                throw .notReady(
                    "timed out after \(format(timeout)) waiting for \(kind.describe(name, namespace: namespace)) "
                        + (handled
                            ? "to become ready (Ready=Unknown: \(summary.message))."
                            : "to handle the reconcile request. Is petrel-controller running? "
                                + "Check `kubectl -n petrel-system logs deploy/petrel`, or raise --timeout."))
            }
            do { try await Task.sleep(for: pollInterval) } catch { throw .failed("interrupted while waiting") }
        }
    }

    /// Prints Ready's message; throws exit code 1 when Ready is not True.
    static func report(_ summary: ObjectSummary, kind: PetrelKind) throws(CLIError) {
        let text = summary.message.isEmpty ? "\(kind.kind) reconciled (\(summary.reason))" : summary.message
        if summary.ready == ConditionStatus.true.rawValue {
            Terminal.success(text)
        } else {
            Terminal.failure(text)
            throw .notReady(
                "\(kind.describe(summary.name, namespace: summary.namespace)) is not ready (\(summary.reason)). "
                    + "See `petrel events --for \(kind.kind)/\(summary.name) -n \(summary.namespace)`.")
        }
    }

    /// Requests a reconcile, waits and reports (the whole of `petrel reconcile <kind> NAME`).
    static func run(
        _ session: Session, kind: PetrelKind, name: String, namespace: String, timeout: Duration,
        spec: JSONValue? = nil, requireNotSuspended: Bool = true
    ) async throws(CLIError) {
        let object = try await fetch(session, kind: kind, name: name, namespace: namespace)
        if requireNotSuspended, ObjectSummary(object, kind: kind).suspended {
            throw .failed(
                "\(kind.describe(name, namespace: namespace)) is suspended: resume it with "
                    + "`petrel resume \(kind == .source ? "source" : "kustomization") \(name) -n \(namespace)`.")
        }
        Terminal.progress("annotating \(kind.kind) \(name) in \(namespace) namespace")
        let requestedAt = try await annotate(session, kind: kind, name: name, namespace: namespace, spec: spec)
        Terminal.waiting("waiting for \(kind.kind) reconciliation")
        let summary = try await wait(
            session, kind: kind, name: name, namespace: namespace, requestedAt: requestedAt, timeout: timeout)
        try report(summary, kind: kind)
    }

    /// A `--timeout` value: Go duration syntax.
    static func parseTimeout(_ text: String) throws -> Duration {
        guard let duration = try? GoDuration(parsing: text), duration.nanoseconds > 0 else {
            throw ValidationError("invalid --timeout '\(text)': use a Go duration such as 30s, 5m or 1m30s")
        }
        return .nanoseconds(duration.nanoseconds)
    }

    static func format(_ duration: Duration) -> String {
        GoDuration.format(duration)
    }
}
