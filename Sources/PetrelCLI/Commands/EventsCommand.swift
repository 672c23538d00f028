import ArgumentParser
import Foundation
import KubeClient
import KubeCore

/// `petrel events [--for Kind/name]`: the core v1 Events about GitRepositories and Kustomizations, oldest first.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Show the events Petrel's controllers recorded, oldest first.")

    @OptionGroup var cluster: ClusterOptions

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Show events of every namespace.")
    var allNamespaces = false

    @Option(name: .customLong("for"), help: "Only events about this object, e.g. Kustomization/apps or ks/apps.")
    var object: String?

    func validate() throws {
        if let object { _ = try Self.parseFor(object) }
    }

    /// `Kind/name` with any of the kind's aliases.
    static func parseFor(_ text: String) throws -> (kind: PetrelKind, name: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let kind = PetrelKind.named(parts[0]), !parts[1].isEmpty else {
            throw ValidationError(
                "--for '\(text)' is not Kind/name: use GitRepository/NAME or Kustomization/NAME (or source/NAME, ks/NAME)")
        }
        return (kind, parts[1])
    }

    func run() async throws {
        let target = try object.map(Self.parseFor)
        try await cluster.withSession { session in
            let scope = allNamespaces ? nil : session.namespace
            let events = GroupVersionResource(group: "", version: "v1", resource: "events")
            let list = try await session.call("Events") { () async throws(KubeClientError) in
                try await session.client.listAll(events, namespace: scope)
            }
            let selected = Self.select(list.items, target: target)
            guard !selected.isEmpty else {
                let place = scope.map { "namespace \"\($0)\"" } ?? "any namespace"
                Terminal.writeError("No events found in \(place)" + (object.map { " for \($0)" } ?? "") + ".")
                return
            }
            print(Self.table(selected, allNamespaces: allNamespaces).render(coloured: Terminal.stdoutColoured),
                  terminator: "")
        }
    }

    /// The events about Petrel objects (or `target` only), sorted by their last time.
    static func select(_ items: [JSONValue], target: (kind: PetrelKind, name: String)?) -> [JSONValue] {
        let filtered = items.filter { event in
            let involved = event["involvedObject"] ?? .null
            guard
                let kind = PetrelKind.of(
                    apiVersion: involved["apiVersion"]?.stringValue, kind: involved["kind"]?.stringValue)
            else { return false }
            guard let target else { return true }
            return kind == target.kind && involved["name"]?.stringValue == target.name
        }
        return filtered.enumerated().sorted { lhs, rhs in
            let left = lastTime(lhs.element) ?? 0
            let right = lastTime(rhs.element) ?? 0
            return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// When an event last happened: `lastTimestamp`, `eventTime`, `firstTimestamp`, then its creation.
    static func lastTime(_ event: JSONValue) -> Double? {
        for key in ["lastTimestamp", "eventTime", "firstTimestamp"] {
            if let seconds = Timestamps.seconds(event[key]?.stringValue) { return seconds }
        }
        return Timestamps.seconds(event.kube.creationTimestamp)
    }

    static func table(_ events: [JSONValue], allNamespaces: Bool, now: Date = Date()) -> Table {
        var headers = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        if allNamespaces { headers.insert("NAMESPACE", at: 0) }
        var table = Table(headers: headers)
        for event in events {
            let involved = event["involvedObject"] ?? .null
            let type = event["type"]?.stringValue ?? "Normal"
            let seen = lastTime(event).map { Timestamps.human(now.timeIntervalSince1970 - $0) } ?? "<unknown>"
            var row = [
                Cell(seen), Cell(type, colour: type == "Warning" ? .red : nil), Cell(event["reason"]?.stringValue ?? ""),
                Cell("\(involved["kind"]?.stringValue ?? "")/\(involved["name"]?.stringValue ?? "")"),
                Cell((event["message"]?.stringValue ?? "").replacingOccurrences(of: "\n", with: " ")),
            ]
            if allNamespaces { row.insert(Cell(event.kube.namespace ?? ""), at: 0) }
            table.add(row)
        }
        return table
    }
}
