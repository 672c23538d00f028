import GitSource
import KubeCore
import PetrelAPI

/// The URLs a GitRepository credentials Secret may be sent to: the prefixes listed in its
/// `source.petrel.dev/allowed-urls` annotation.
///
/// GitRepositories have no identity of their own (as in Flux, sources act as the controller), so whoever may
/// create a GitRepository in a namespace may name any Secret of that namespace in `spec.secretRef`. Binding a
/// Secret to URLs lets the Secret's owner decide where its credentials go, whoever writes the GitRepository:
/// a Secret with the annotation is used only for a `spec.url` under one of its prefixes, and with
/// `--require-secret-url-binding` (tenant mode) a Secret without it is not used at all.
///
/// Matching: scheme, host (case-insensitive) and port (the scheme's default when absent) equal; the prefix's path
/// is empty, or equals the URL's path (`.git` optional), or is a whole-segment prefix of it. User names are
/// ignored. A URL whose path has `.` or `..` segments or percent-escapes matches only a host-wide prefix.
struct SecretURLBinding: Sendable, Equatable {
    /// The annotation listing the prefixes, separated by commas, spaces or new lines.
    static let annotation = "source.petrel.dev/allowed-urls"

    /// The parsed prefixes (never empty).
    var prefixes: [GitURL]

    /// The binding of a Secret: nil when it has no (or an empty) annotation.
    /// - Throws: a message naming the entry that is not a URL Petrel accepts.
    init?(secret: JSONValue) throws(GitRepositoryFailure) {
        let text = secret[path: ["metadata", "annotations", Self.annotation]]?.stringValue ?? ""
        let entries = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" })
        guard !entries.isEmpty else { return nil }
        var prefixes: [GitURL] = []
        for entry in entries.prefix(64) {
            do {
                prefixes.append(try GitURL(parsing: String(entry)))
            } catch {
                throw .fetch(
                    ConditionReason.accessDenied,
                    "the \(Self.annotation) annotation of the referenced secret has an invalid entry: \(error.message)",
                    stalled: false)
            }
        }
        self.prefixes = prefixes
    }

    /// Whether `url` is under one of the prefixes.
    func allows(_ url: GitURL) -> Bool {
        prefixes.contains { Self.matches(url, prefix: $0) }
    }

    static func matches(_ url: GitURL, prefix: GitURL) -> Bool {
        guard url.scheme == prefix.scheme, url.host.lowercased() == prefix.host.lowercased(),
            url.effectivePort == prefix.effectivePort
        else { return false }
        let base = prefix.path.hasSuffix("/") ? String(prefix.path.dropLast()) : prefix.path
        if base.isEmpty { return true }
        let segments = url.path.split(separator: "/", omittingEmptySubsequences: false)
        if url.path.contains("%") || segments.contains(where: { $0 == "." || $0 == ".." }) { return false }
        return url.path == base || url.path == base + ".git" || url.path.hasPrefix(base + "/")
    }

    /// A readable list of the prefixes, without any user or password part.
    var description: String {
        prefixes.map { prefix in
            "\(prefix.scheme)://\(prefix.host)\(prefix.port.map { ":\($0)" } ?? "")\(prefix.path)"
        }.joined(separator: ", ")
    }
}
