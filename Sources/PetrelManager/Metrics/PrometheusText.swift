import ControllerRuntime
import Foundation

/// One controller's numbers at one moment.
struct ControllerMetricsSnapshot: Sendable {
    var reconciles: ControllerMetrics.Snapshot
    var queue: WorkQueue<ObjectKey>.Statistics
}

/// Builds the Prometheus text exposition format (0.0.4): `# HELP`, `# TYPE`, then one line per series.
///
/// Names follow controller-runtime's where a counterpart exists (`controller_runtime_reconcile_total`,
/// `controller_runtime_reconcile_time_seconds`, `workqueue_depth`, ...), so existing dashboards work. Labels are
/// bounded: controller names, results and resources only. Every series of a registered controller exists from
/// the start at zero.
struct PrometheusText {
    /// One series: its labels and value.
    typealias Series = (labels: [String: String], value: Double)

    private(set) var output = ""

    mutating func counter(_ name: String, help: String, _ series: [Series]) {
        family(name, type: "counter", help: help, series)
    }

    mutating func gauge(_ name: String, help: String, _ series: [Series]) {
        family(name, type: "gauge", help: help, series)
    }

    private mutating func family(_ name: String, type: String, help: String, _ series: [Series]) {
        header(name, type: type, help: help)
        for (labels, value) in series { line(name, labels: labels.sorted { $0.key < $1.key }, value) }
    }

    private mutating func header(_ name: String, type: String, help: String) {
        output += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type)\n"
    }

    private mutating func line(_ name: String, labels: [(key: String, value: String)], _ value: Double) {
        output += name
        if !labels.isEmpty {
            output += "{" + labels.map { "\($0.key)=\"\(Self.escapeLabel($0.value))\"" }.joined(separator: ",") + "}"
        }
        output += " \(Self.format(value))\n"
    }

    /// The reconcile and work-queue families of every controller.
    mutating func renderControllers(_ controllers: [(name: String, snapshot: ControllerMetricsSnapshot)]) {
        var totals: [Series] = []
        for controller in controllers {
            for outcome in ReconcileOutcome.allCases {
                let value = Double(controller.snapshot.reconciles.totals[outcome] ?? 0)
                totals.append((["controller": controller.name, "result": outcome.rawValue], value))
            }
        }
        counter("controller_runtime_reconcile_total", help: "Reconciles per controller and result.", totals)
        counter(
            "controller_runtime_reconcile_errors_total", help: "Reconciles that failed with a transient error.",
            controllers.map { controller -> Series in (["controller": controller.name], Double(controller.snapshot.reconciles.totals[.error] ?? 0)) })
        let histogram = "controller_runtime_reconcile_time_seconds"
        header(histogram, type: "histogram", help: "How long reconciles take, per controller.")
        for controller in controllers {
            let reconciles = controller.snapshot.reconciles
            for (index, bound) in ControllerMetrics.bucketBounds.enumerated() {
                line(
                    histogram + "_bucket", labels: [("controller", controller.name), ("le", Self.format(bound))],
                    Double(reconciles.bucketCounts[index]))
            }
            line(
                histogram + "_bucket", labels: [("controller", controller.name), ("le", "+Inf")],
                Double(reconciles.durationCount))
            line(histogram + "_sum", labels: [("controller", controller.name)], reconciles.durationSum)
            line(histogram + "_count", labels: [("controller", controller.name)], Double(reconciles.durationCount))
        }
        gauge(
            "workqueue_depth", help: "Keys waiting in the work queue.",
            controllers.map { controller -> Series in (["name": controller.name], Double(controller.snapshot.queue.depth)) })
        gauge(
            "petrel_workqueue_depth_by_priority",
            help: "Keys waiting in the work queue per lane: high (events) and low (drift checks, initial list).",
            controllers.flatMap { controller -> [Series] in
                [
                    (["name": controller.name, "priority": "high"], Double(controller.snapshot.queue.highDepth)),
                    (["name": controller.name, "priority": "low"], Double(controller.snapshot.queue.lowDepth)),
                ]
            })
        counter(
            "workqueue_adds_total", help: "Keys added to the work queue (deduplicated adds not counted).",
            controllers.map { controller -> Series in (["name": controller.name], Double(controller.snapshot.queue.adds)) })
        counter(
            "workqueue_retries_total", help: "Keys re-queued with backoff after a failed reconcile.",
            controllers.map { controller -> Series in (["name": controller.name], Double(controller.snapshot.queue.retries)) })
    }

    /// The informer families, one series per resource.
    mutating func renderInformers(_ rows: [(resource: String, row: (relists: Int, objects: Int, synced: Bool))]) {
        counter(
            "petrel_informer_relists_total", help: "Full relists after the watch's resourceVersion expired (410 Gone).",
            rows.map { row -> Series in (["resource": row.resource], Double(row.row.relists)) })
        gauge(
            "petrel_informer_objects", help: "Objects in the informer's cache.",
            rows.map { row -> Series in (["resource": row.resource], Double(row.row.objects)) })
        gauge(
            "petrel_informer_synced", help: "1 once the informer holds its first full list.",
            rows.map { row -> Series in (["resource": row.resource], row.row.synced ? 1 : 0) })
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func escapeLabel(_ value: String) -> String {
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
