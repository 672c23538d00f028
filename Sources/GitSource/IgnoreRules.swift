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
    ///
    /// Dynamic programming over (segment, component) pairs: O(segments × components) segment matches whatever the
    /// number of `**`, where trying every split would be exponential in them.
    func match(_ index: Int, _ path: ArraySlice<String>) -> Bool {
        let components = Array(path)
        let count = components.count
        // next[j]: segments after the current one match components[j...].
        var next = [Bool](repeating: false, count: count + 1)
        next[count] = true
        for segment in stride(from: segments.count - 1, through: index, by: -1) {
            var current = [Bool](repeating: false, count: count + 1)
            if segments[segment] == "**" {
                if segment + 1 == segments.count {
                    for position in 0..<count { current[position] = true }  // a trailing `**` needs one component
                } else {
                    var any = false
                    for position in stride(from: count, through: 0, by: -1) {
                        any = any || next[position]
                        current[position] = any
                    }
                }
            } else {
                for position in 0..<count where next[position + 1] {
                    current[position] = matchSegment(segment, components[position])
                }
            }
            next = current
        }
        return next[0]
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

    /// Iterative matching with one backtrack point (the last `*`): every token other than `*` consumes exactly one
    /// character, so retrying from the last star is enough, and the cost is O(pattern × name) instead of the
    /// combinatorial cost of trying every split for every star.
    private static func matchFrom(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        let p = Array(pattern)
        let n = Array(name)
        var pi = 0
        var ni = 0
        var star: (pattern: Int, name: Int)?
        while ni < n.count {
            if pi < p.count {
                if p[pi] == "*" {
                    while pi < p.count, p[pi] == "*" { pi += 1 }
                    star = (pi, ni)
                    continue
                }
                if let next = step(p, pi, n[ni]) {
                    pi = next
                    ni += 1
                    continue
                }
            }
            guard let last = star else { return false }
            // Let the last star swallow one more character and retry from just after it.
            star = (last.pattern, last.name + 1)
            pi = last.pattern
            ni = last.name + 1
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Matches the single-character token at `index` (`?`, a class, an escape or a literal) against `ch`; returns
    /// the index after the token, or nil on a mismatch.
    private static func step(_ p: [Unicode.Scalar], _ index: Int, _ ch: Unicode.Scalar) -> Int? {
        switch p[index] {
        case "?":
            return index + 1
        case "[":
            guard let (matched, rest) = matchClass(p[(index + 1)...], ch) else {
                return ch == "[" ? index + 1 : nil  // an unclosed `[` is a literal
            }
            return matched ? rest.startIndex : nil
        case "\\" where index + 1 < p.count:
            return p[index + 1] == ch ? index + 2 : nil
        default:
            return p[index] == ch ? index + 1 : nil
        }
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
