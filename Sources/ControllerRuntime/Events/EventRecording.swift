import KubeCore
import Logging

/// The type of a Kubernetes Event.
package enum EventType: String, Sendable {
    case normal = "Normal"
    case warning = "Warning"
}

/// Records Kubernetes Events about an object (what `kubectl describe` and `kubectl get events` show).
///
/// Reasons are CamelCase and bounded (Flux's, e.g. `NewArtifact`, `ReconciliationSucceeded`, `BuildFailed`);
/// messages must never contain secrets. Implementations must not throw: a failed event write is logged, never a
/// reconcile failure.
package protocol EventRecording: Sendable {
    /// Records an event about `object` (a full object with apiVersion, kind and metadata).
    func record(_ type: EventType, reason: String, message: String, about object: JSONValue) async
}

/// An ``EventRecording`` that only logs: for tests and tools that have no API server to write to.
package struct LoggingEventRecorder: EventRecording {
    private let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
    }

    package func record(_ type: EventType, reason: String, message: String, about object: JSONValue) async {
        let kind = object["kind"]?.stringValue ?? "?"
        let name = object[path: ["metadata", "name"]]?.stringValue ?? "?"
        let namespace = object[path: ["metadata", "namespace"]]?.stringValue ?? ""
        let level: Logger.Level = type == .warning ? .warning : .info
        logger.log(
            level: level, "\(message)",
            metadata: ["petrel.event": "\(reason)", "petrel.object": "\(kind)/\(namespace)/\(name)"])
    }
}
