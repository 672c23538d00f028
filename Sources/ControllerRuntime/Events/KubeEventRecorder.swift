import Foundation
import KubeClient
import KubeCore
import Logging
import Synchronization

/// An ``EventRecording`` that writes core `v1` Events through the API server, as client-go's recorder does.
///
/// ## Guarantees
/// - The Event names the object in `involvedObject` (apiVersion, kind, namespace, name, uid, resourceVersion),
///   carries `source.component` and `reportingComponent` (default `petrel-controller`) and `reportingInstance`
///   (default the host name), and lives in the object's namespace (`default` for cluster-scoped objects).
/// - Repeating an identical event (same object UID, type, reason and message) patches the existing Event: its
///   `count` grows and `lastTimestamp` moves; no new object is created. See ``EventCorrelator``.
/// - A per-object token bucket drops events of an object that emits too many (``EventCorrelator/Limits``).
/// - ``record(_:reason:message:about:)`` never throws: failures are logged at warning level and dropped.
///
/// ## Caveats
/// Messages are cut at 1,024 bytes. Callers must keep secrets out of messages.
package final class KubeEventRecorder: EventRecording {
    private static let events = GroupVersionResource(group: "", version: "v1", resource: "events")
    private static let maxMessageBytes = 1_024

    private let client: KubeClient
    private let component: String
    private let instance: String
    private let logger: Logger
    private let correlator: Mutex<EventCorrelator>
    private let written = Mutex(0)

    /// Creates a recorder.
    /// - Parameters:
    ///   - client: where Events are written.
    ///   - component: `source.component` and `reportingComponent`. Default `petrel-controller`.
    ///   - instance: `source.host` and `reportingInstance`. Default the host name.
    ///   - limits: spam filter and cache limits; default client-go's.
    ///   - logger: failures are logged here.
    package init(
        client: KubeClient, component: String = "petrel-controller",
        instance: String = KubeEventRecorder.hostName, limits: EventCorrelator.Limits = .init(), logger: Logger
    ) {
        self.client = client
        self.component = component
        self.instance = instance
        self.logger = logger
        self.correlator = Mutex(EventCorrelator(limits: limits))
    }

    /// How many Event writes (creates and patches) succeeded: a metric.
    package var writes: Int { written.withLock { $0 } }

    package func record(_ type: EventType, reason: String, message: String, about object: JSONValue) async {
        let message = Self.truncated(message)
        let involved = Self.reference(to: object)
        let objectName = object.kube.name ?? "unknown"
        let namespace = object.kube.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let key = EventCorrelator.Key(
            objectUID: object.kube.uid ?? "\(object.kube.kind ?? "")/\(namespace)/\(objectName)", type: type,
            reason: reason, message: message)
        let now = Date()
        let newName = "\(objectName).\(String(UInt64(now.timeIntervalSince1970 * 1e9), radix: 16))"
        let decision = correlator.withLock { $0.observe(key, newName: newName, at: .now) }
        let timestamp = Self.timestamp(now)
        var event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(newName), "namespace": .string(namespace)],
            "involvedObject": involved, "reason": .string(reason), "message": .string(message),
            "type": .string(type.rawValue),
            "source": ["component": .string(component), "host": .string(instance)],
            "firstTimestamp": .string(timestamp), "lastTimestamp": .string(timestamp), "count": 1,
            "reportingComponent": .string(component), "reportingInstance": .string(instance),
        ]
        switch decision {
        case .drop:
            logger.debug(
                "event dropped: too many events for this object",
                metadata: ["petrel.event": "\(reason)", "petrel.object": "\(namespace)/\(objectName)"])
        case .create(let name):
            event.set(path: ["metadata", "name"], to: .string(name))
            await create(event, namespace: namespace, key: key)
        case .bump(let name, let count):
            let patch: JSONValue = ["count": .integer(Int64(count)), "lastTimestamp": .string(timestamp)]
            do {
                _ = try await client.patch(Self.events, namespace: namespace, name: name, .merge(patch))
                written.withLock { $0 += 1 }
            } catch .notFound {
                // The Event expired (events have a TTL): start a new one.
                event.set(path: ["metadata", "name"], to: .string(name))
                event["count"] = .integer(Int64(count))
                await create(event, namespace: namespace, key: key)
            } catch {
                logFailure(error, reason: reason, object: "\(namespace)/\(objectName)")
            }
        }
    }

    private func create(_ event: JSONValue, namespace: String, key: EventCorrelator.Key) async {
        do {
            _ = try await client.create(Self.events, namespace: namespace, event)
            written.withLock { $0 += 1 }
        } catch .alreadyExists {
            // A concurrent identical record created it first; count it on the existing Event.
            if let name = event.kube.name {
                do {
                    let current = try await client.get(Self.events, namespace: namespace, name: name)
                    let count = (current["count"]?.integerValue ?? 1) + 1
                    _ = try await client.patch(
                        Self.events, namespace: namespace, name: name,
                        .merge(["count": .integer(count), "lastTimestamp": event["lastTimestamp"] ?? .null]))
                    written.withLock { $0 += 1 }
                } catch {
                    logFailure(error, reason: key.reason, object: "\(namespace)/\(name)")
                }
            }
        } catch {
            correlator.withLock { $0.forget(key) }
            logFailure(error, reason: key.reason, object: "\(namespace)/\(event.kube.name ?? "")")
        }
    }

    private func logFailure(_ error: any Error, reason: String, object: String) {
        logger.warning(
            "failed to write an event; dropping it",
            metadata: ["petrel.event": "\(reason)", "petrel.object": "\(object)", "error": "\(error)"])
    }

    /// This machine's host name (`gethostname`), without a DNS lookup.
    package static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The `involvedObject` reference of `object`.
    static func reference(to object: JSONValue) -> JSONValue {
        var reference = JSONObject()
        reference["apiVersion"] = object.kube.apiVersion.map(JSONValue.string)
        reference["kind"] = object.kube.kind.map(JSONValue.string)
        if let namespace = object.kube.namespace, !namespace.isEmpty { reference["namespace"] = .string(namespace) }
        reference["name"] = object.kube.name.map(JSONValue.string)
        reference["uid"] = object.kube.uid.map(JSONValue.string)
        reference["resourceVersion"] = object.kube.resourceVersion.map(JSONValue.string)
        return .object(reference)
    }

    static func truncated(_ message: String) -> String { message.truncated(toUTF8Bytes: maxMessageBytes) }

    /// RFC 3339 in UTC with whole seconds (`metav1.Time`).
    static func timestamp(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
