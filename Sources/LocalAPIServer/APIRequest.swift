import Foundation
import KubeCore

/// An HTTP request as the handler sees it, free of the HTTP server's types.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var accept: String
    var contentType: String
    var userAgent: String
    var body: [UInt8]
    /// Credentials and impersonation headers; see `UserInfo`.
    var credentials = RequestCredentials()
    /// The subject of the verified TLS client certificate, when the server checks client certificates.
    var clientCertificate: CertificateIdentity? = nil

    /// Splits and percent-decodes a query string.
    static func parseQuery(_ query: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let key = decode(parts[0])
            result[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }

    var wantsTable: Bool { accept.contains("as=Table") }
    var dryRun: Bool { query["dryRun"] == "All" }
    func flag(_ name: String) -> Bool { ["true", "1"].contains((query[name] ?? "").lowercased()) }
}

/// What the handler answers: a whole JSON body, or a stream of watch events.
enum APIResponse: Sendable {
    case json(status: Int, body: [UInt8])
    /// A JSON body with a content type other than `application/json` (aggregated discovery); varies by `Accept`.
    case typed(status: Int, contentType: String, body: [UInt8])
    case watch(WatchStream)

    static func object(_ value: JSONValue, status: Int = 200) -> APIResponse {
        .json(status: status, body: JSONSerializer.bytes(value))
    }

    static func error(_ error: APIError) -> APIResponse {
        .json(status: error.code, body: JSONSerializer.bytes(error.status))
    }
}

/// A watch in progress: the store's stream plus how to encode and when to stop.
struct WatchStream: Sendable {
    var id: Int
    var stream: AsyncStream<WatchMessage>
    var type: ResourceType
    var asTable: Bool
    var timeout: Duration?
    var bookmarks: Bool
    /// `sendInitialEvents=true`: the first bookmark carries the `k8s.io/initial-events-end` annotation.
    var sendInitialEvents: Bool = false
    var initialError: APIError?

    /// One newline-terminated WatchEvent.
    func encode(_ message: WatchMessage) -> [UInt8] {
        var out: [UInt8] = []
        switch message {
        case .event(let eventType, let object):
            out.append(contentsOf: Array("{\"type\":\"\(eventType)\",\"object\":".utf8))
            if asTable {
                out.append(
                    contentsOf: JSONSerializer.bytes(
                        Table.table(
                            [object.value], type: type, resourceVersion: String(object.resourceVersion),
                            continueToken: nil)))
            } else {
                out.append(contentsOf: object.bytes)
            }
        case .bookmark(let resourceVersion, let initialEventsEnd):
            let object: JSONValue = [
                "kind": .string(type.kind), "apiVersion": .string(type.apiVersion),
                "metadata": initialEventsEnd
                    ? [
                        "resourceVersion": .string(String(resourceVersion)),
                        "annotations": ["k8s.io/initial-events-end": "true"],
                    ]
                    : ["resourceVersion": .string(String(resourceVersion))],
            ]
            out.append(contentsOf: Array("{\"type\":\"BOOKMARK\",\"object\":".utf8))
            out.append(contentsOf: JSONSerializer.bytes(object))
        case .error(let error):
            out.append(contentsOf: Array("{\"type\":\"ERROR\",\"object\":".utf8))
            out.append(contentsOf: JSONSerializer.bytes(error.status))
        }
        out.append(contentsOf: Array("}\n".utf8))
        return out
    }
}
