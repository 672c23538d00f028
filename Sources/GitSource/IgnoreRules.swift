/// One .gitignore pattern, bound to the directory (`domain`) of the file it came from.
public struct IgnorePattern: Sendable, Equatable {
    var segments: [String]
    var negated: Bool
    var directoryOnly: Bool
    /// Whether the pattern is matched against the whole relative path (it had a `/` before its end).
    var anchored: Bool
    var domain: [String]
    /// The segments as Unicode scalars, or nil for a segment without glob characters (compared as a string).
    var globs: [[Unicode.Scalar]?] = []

    /// Parses one line; returns nil for blank lines and comments.
    public init?(line rawLine: String, domain: [String] = []) {
        var line = Substring(rawLine)
        if line.hasSuffix("\r") { line = line.dropLast() }
        // Trailing spaces are ignored unless escaped.
        while line.hasSuffix(" "), !line.hasSuffix("\\ ") { line = line.dropLast() }
        if line.isEmpty || line.hasPrefix("#") { return nil }
        negated = line.hasPrefix("!")
        if negated { line = line.dropFirst() }
        if line.hasPrefix("\\#") || line.hasPrefix("\\!") { line = line.dropFirst() }
        directoryOnly = line.hasSuffix("/")
        while line.hasSuffix("/") { line = line.dropLast() }
        if line.isEmpty { return nil }
        let inner = line.dropLast()
        anchored = inner.contains("/")
        if line.hasPrefix("/") { line = line.drop(while: { $0 == "/" }) }
        segments = line.split(separator: "/").map(String.init)
        self.domain = domain
        if segments.isEmpty { return nil }
        globs = segments.map { segment in
            segment.contains(where: { "*?[\\".contains($0) }) ? Array(segment.unicodeScalars) : nil
        }
    }

    /// Whether the pattern matches `path` (components relative to the archive root).
    func matches(_ path: [String], isDirectory: Bool) -> Bool {
        if directoryOnly, !isDirectory { return false }
        guard path.count > domain.count, path.starts(with: domain) else { return false }
        let relative = path[domain.count...]
        if !anchored {
            guard let last = relative.last, segments.count == 1 else { return false }
            return matchSegment(0, last)
        }
        return match(0, relative)
    }

    /// Whether segment `index` of the pattern matches one path component.
    func matchSegment(_ index: Int, _ name: String) -> Bool {
        guard let glob = globs[index] else { return segments[index] == name }
        return Glob.match(glob[...], Array(name.unicodeScalars)[...])
    }

    /// Matches the segments from `index` on against `path`, `**` spanning any number of components.
    func match(_ index: Int, _ path: ArraySlice<String>) -> Bool {
        guard index < segments.count else { return path.isEmpty }
        if segments[index] == "**" {
            if index + 1 == segments.count { return !path.isEmpty }
            var tail = path
            while true {
                if match(index + 1, tail) { return true }
                if tail.isEmpty { return false }
                tail = tail.dropFirst()
            }
        }
        guard let head = path.first, matchSegment(index, head) else { return false }
        return match(index + 1, path.dropFirst())
    }
}

/// Shell glob for one path segment: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`, and `\` escapes.
enum Glob {
    static func match(_ pattern: String, _ name: String) -> Bool {
        matchFrom(Array(pattern.unicodeScalars)[...], Array(name.unicodeScalars)[...])
    }

    static func match(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        matchFrom(pattern, name)
    }

    private static func matchFrom(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = pattern
        var n = name
        while let c = p.first {
            switch c {
            case "*":
                let rest = p.drop(while: { $0 == "*" })
                if rest.isEmpty { return true }
                var tail = n
                while true {
                    if matchFrom(rest, tail) { return true }
                    if tail.isEmpty { return false }
                    tail = tail.dropFirst()
                }
            case "?":
                guard !n.isEmpty else { return false }
                p = p.dropFirst()
                n = n.dropFirst()
            case "[":
                guard let ch = n.first else { return false }
                guard let result = matchClass(p.dropFirst(), ch) else {
                    // An unclosed `[` is a literal.
                    guard ch == "[" else { return false }
                    p = p.dropFirst()
                    n = n.dropFirst()
                    continue
                }
                guard result.0 else { return false }
                p = result.1
                n = n.dropFirst()
            case "\\" where p.count > 1:
                let literal = p[p.index(after: p.startIndex)]
                guard n.first == literal else { return false }
                p = p.dropFirst(2)
                n = n.dropFirst()
            default:
                guard n.first == c else { return false }
                p = p.dropFirst()
                n = n.dropFirst()
            }
        }
        return n.isEmpty
    }

    /// Matches a bracket class; returns nil when the class is not closed.
    private static func matchClass(
        _ body: ArraySlice<Unicode.Scalar>, _ ch: Unicode.Scalar
    ) -> (Bool, ArraySlice<Unicode.Scalar>)? {
        var rest = body
        var negate = false
        if let first = rest.first, first == "!" || first == "^" {
            negate = true
            rest = rest.dropFirst()
        }
        var matched = false
        var firstItem = true
        while let c = rest.first {
            if c == "]", !firstItem { return (matched != negate, rest.dropFirst()) }
            firstItem = false
            var low = c
            rest = rest.dropFirst()
            if low == "\\", let escaped = rest.first {
                low = escaped
                rest = rest.dropFirst()
            }
            if rest.count >= 2, rest.first == "-", let high = rest.dropFirst().first, high != "]" {
                if low.value <= ch.value, ch.value <= high.value { matched = true }
                rest = rest.dropFirst(2)
            } else if low == ch {
                matched = true
            }
        }
        return nil
    }
}

/// The ordered ignore patterns for an archive, following Flux: VCS patterns, then the default exclusions (unless
/// `spec.ignore` is set, which replaces them), then `.sourceignore` files (outer before inner), then `spec.ignore`.
/// The last matching pattern wins; `!` re-includes.
public struct IgnoreRules: Sendable {
    /// Always excluded.
    public static let vcsPatterns = [".git/", ".gitignore", ".gitmodules", ".gitattributes"]
    /// Flux's default exclusions (`fluxcd/pkg` `sourceignore`): extensions, CI files and tool configs.
    public static let defaultPatterns = [
        "*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
        ".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml", "cloudbuild.yaml",
        "codeship-services.yml", "codeship-steps.yml",
        "**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
    ]
    /// The file name read in every directory of the checkout.
    public static let sourceIgnoreFile = ".sourceignore"

    var base: [IgnorePattern]
    var local: [IgnorePattern] = []
    var spec: [IgnorePattern]

    /// Rules for a GitRepository with the given `spec.ignore` (nil → the defaults apply).
    public init(specIgnore: String? = nil) {
        let vcs = Self.vcsPatterns.compactMap { IgnorePattern(line: $0) }
        if let specIgnore {
            base = vcs
            spec = Self.parse(specIgnore, domain: [])
        } else {
            base = vcs + Self.defaultPatterns.compactMap { IgnorePattern(line: $0) }
            spec = []
        }
    }

    /// Parses gitignore text; patterns apply below `domain`.
    public static func parse(_ text: String, domain: [String]) -> [IgnorePattern] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).compactMap {
            IgnorePattern(line: String($0), domain: domain)
        }
    }

    /// These rules plus patterns read from a `.sourceignore` file.
    public func adding(sourceIgnore patterns: [IgnorePattern]) -> IgnoreRules {
        var copy = self
        copy.local += patterns
        return copy
    }

    /// Whether `path` (relative, `/`-separated) is excluded. Parents are not checked: the archiver prunes
    /// excluded directories as it walks.
    public func isIgnored(_ path: [String], isDirectory: Bool) -> Bool {
        var ignored = false
        for patterns in [base, local, spec] {
            for pattern in patterns where pattern.matches(path, isDirectory: isDirectory) {
                ignored = !pattern.negated
            }
        }
        return ignored
    }
}
