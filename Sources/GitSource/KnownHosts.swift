import Crypto
import Foundation

/// OpenSSH `known_hosts` content, used to verify SSH host keys ourselves (never through `$HOME/.ssh`).
///
/// Supports plain and hashed (`|1|salt|hash`) host names, comma-separated host lists, `[host]:port` for
/// non-default ports and `@revoked` markers. `@cert-authority` lines are ignored (certificates are not supported).
package struct KnownHosts: Sendable {
    struct Entry: Sendable {
        var hostPatterns: [String]
        var keyType: String
        var key: [UInt8]
        var revoked: Bool
    }

    var entries: [Entry]

    /// Parses known_hosts text; malformed lines are skipped.
    package init(_ text: String) {
        var entries: [Entry] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            var revoked = false
            if let marker = fields.first, marker.hasPrefix("@") {
                if marker == "@revoked" { revoked = true } else { continue }
                fields.removeFirst()
            }
            guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else { continue }
            entries.append(
                Entry(
                    hostPatterns: fields[0].split(separator: ",").map(String.init), keyType: fields[1],
                    key: Array(key), revoked: revoked))
        }
        self.entries = entries
    }

    /// The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise.
    package static func lookupName(host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    /// Outcome of a host key check.
    package enum Verdict: Sendable, Equatable {
        case trusted
        case unknownHost
        case mismatch(knownTypes: [String])
        case revoked
    }

    /// Checks a raw host key blob (SSH wire format, as in known_hosts) for `host`:`port`.
    package func verify(host: String, port: Int, rawKey: [UInt8]) -> Verdict {
        matchingEntries(host: host, port: port, verdict: { $0.key == rawKey })
    }

    /// Checks a host key given only its SHA-256 fingerprint (when libssh2 cannot give the raw key).
    package func verify(host: String, port: Int, sha256: [UInt8]) -> Verdict {
        matchingEntries(host: host, port: port, verdict: { Array(SHA256.hash(data: $0.key)) == sha256 })
    }

    private func matchingEntries(host: String, port: Int, verdict matches: (Entry) -> Bool) -> Verdict {
        let name = Self.lookupName(host: host, port: port)
        let candidates = entries.filter { entry in entry.hostPatterns.contains { Self.pattern($0, matches: name) } }
        if candidates.isEmpty { return .unknownHost }
        if candidates.contains(where: { $0.revoked && matches($0) }) { return .revoked }
        if candidates.contains(where: { !$0.revoked && matches($0) }) { return .trusted }
        return .mismatch(knownTypes: candidates.filter { !$0.revoked }.map(\.keyType))
    }

    static func pattern(_ pattern: String, matches name: String) -> Bool {
        if pattern.hasPrefix("|1|") {
            let parts = pattern.split(separator: "|")
            guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])),
                let hash = Data(base64Encoded: String(parts[2]))
            else { return false }
            let mac = HMAC<Insecure.SHA1>.authenticationCode(
                for: Data(name.utf8), using: SymmetricKey(data: salt))
            return Data(mac) == hash
        }
        if pattern.hasPrefix("!") { return false }
        return pattern == name
    }
}
