import Foundation

/// A semantic version (`major.minor.patch[-prerelease][+build]`), parsed leniently from tags such as `v1.2`.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    /// Dot-separated pre-release identifiers; empty for a release.
    public var prerelease: [String]

    public init(major: Int, minor: Int, patch: Int, prerelease: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    /// Parses `1`, `1.2`, `1.2.3`, with an optional leading `v`, pre-release and build metadata.
    public init?(_ text: String) {
        var core = Substring(text)
        if core.hasPrefix("v") || core.hasPrefix("V") { core = core.dropFirst() }
        if let plus = core.firstIndex(of: "+") { core = core[..<plus] }
        var prerelease: [String] = []
        if let dash = core.firstIndex(of: "-") {
            prerelease = core[core.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
                .map(String.init)
            if prerelease.contains(where: \.isEmpty) { return nil }
            core = core[..<dash]
        }
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count) else { return nil }
        var values: [Int] = []
        for number in numbers {
            guard !number.isEmpty, number.allSatisfy(\.isASCII), let value = Int(number), value >= 0 else { return nil }
            values.append(value)
        }
        while values.count < 3 { values.append(0) }
        self.init(major: values[0], minor: values[1], patch: values[2], prerelease: prerelease)
    }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: "."))
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        if lhs.prerelease.isEmpty != rhs.prerelease.isEmpty { return !lhs.prerelease.isEmpty }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case (let l?, let r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return left < right
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }
}

/// A semver range in the Masterminds syntax Flux uses: comparators (`=`, `!=`, `>`, `>=`, `<`, `<=`), tilde
/// (`~1.2`), caret (`^1.2.3`), wildcards (`1.x`, `1.2.*`, `*`), hyphen ranges (`1.0 - 2.0`), terms joined by
/// spaces or commas (AND) and `||` (OR). Pre-releases match only when a comparator in the same AND group has one.
public struct SemVerRange: Sendable, CustomStringConvertible {
    enum Op: Sendable { case eq, ne, gt, ge, lt, le }
    struct Comparator: Sendable {
        var op: Op
        var version: SemanticVersion

        func matches(_ candidate: SemanticVersion) -> Bool {
            switch op {
            case .eq: candidate == version
            case .ne: candidate != version
            case .gt: candidate > version
            case .ge: candidate >= version
            case .lt: candidate < version
            case .le: candidate <= version
            }
        }
    }

    let groups: [[Comparator]]
    public let description: String

    /// Parses a range.
    ///
    /// - Throws: ``GitSourceError/invalidSemVer(_:)`` naming the term that could not be read.
    public init(_ text: String) throws(GitSourceError) {
        description = text
        var groups: [[Comparator]] = []
        for alternative in text.components(separatedBy: "||") {
            var tokens = alternative.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
            var group: [Comparator] = []
            // Glue operators written apart from their version (`>= 1.0`), and read hyphen ranges.
            var index = 0
            while index < tokens.count {
                if ["=", "!=", ">", ">=", "<", "<=", "~", "^"].contains(tokens[index]), index + 1 < tokens.count {
                    tokens[index] += tokens[index + 1]
                    tokens.remove(at: index + 1)
                }
                if index + 2 < tokens.count, tokens[index + 1] == "-" {
                    guard let low = Self.partial(tokens[index]), let high = Self.partial(tokens[index + 2]) else {
                        throw .invalidSemVer("cannot parse range '\(tokens[index]) - \(tokens[index + 2])'")
                    }
                    group.append(Comparator(op: .ge, version: low.version))
                    group.append(high.upperBound(inclusive: true))
                    index += 3
                    continue
                }
                group += try Self.comparators(tokens[index])
                index += 1
            }
            guard !group.isEmpty else { throw .invalidSemVer("empty range in '\(text)'") }
            groups.append(group)
        }
        self.groups = groups
    }

    /// Whether `version` is inside the range.
    public func contains(_ version: SemanticVersion) -> Bool {
        groups.contains { group in
            if !version.prerelease.isEmpty, !group.contains(where: { !$0.version.prerelease.isEmpty }) {
                return false
            }
            return group.allSatisfy { $0.matches(version) }
        }
    }

    /// A version where trailing parts may be missing or wildcards; `count` is how many parts were given.
    struct Partial {
        var version: SemanticVersion
        var count: Int

        /// The comparator for the end of this partial version (`1.2` → `<1.3.0`; inclusive `1.2` → `<1.3.0`).
        func upperBound(inclusive: Bool) -> Comparator {
            switch count {
            case 0: Comparator(op: .ge, version: SemanticVersion(major: 0, minor: 0, patch: 0))
            case 1: Comparator(op: .lt, version: SemanticVersion(major: version.major + 1, minor: 0, patch: 0))
            case 2:
                Comparator(
                    op: .lt, version: SemanticVersion(major: version.major, minor: version.minor + 1, patch: 0))
            default: Comparator(op: inclusive ? .le : .lt, version: version)
            }
        }
    }

    static func partial(_ text: String) -> Partial? {
        var body = Substring(text)
        if body.hasPrefix("v") { body = body.dropFirst() }
        var prerelease = ""
        if let dash = body.firstIndex(of: "-") {
            prerelease = String(body[dash...])
            body = body[..<dash]
        }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        var given: [Int] = []
        for part in parts {
            if ["x", "X", "*"].contains(part) { break }
            guard let value = Int(part), value >= 0 else { return nil }
            given.append(value)
        }
        guard parts.count <= 3 else { return nil }
        var filled = given
        while filled.count < 3 { filled.append(0) }
        guard let version = SemanticVersion("\(filled[0]).\(filled[1]).\(filled[2])\(prerelease)") else { return nil }
        return Partial(version: version, count: given.count)
    }

    static func comparators(_ term: String) throws(GitSourceError) -> [Comparator] {
        let operators: [(String, Op?)] = [
            (">=", .ge), ("<=", .le), ("!=", .ne), (">", .gt), ("<", .lt), ("=", .eq), ("~>", nil), ("~", nil),
            ("^", nil),
        ]
        var op: (String, Op?) = ("", .eq)
        for candidate in operators where term.hasPrefix(candidate.0) {
            op = candidate
            break
        }
        let rest = String(term.dropFirst(op.0.count))
        guard let partial = partial(rest) else { throw .invalidSemVer("cannot parse '\(term)'") }
        let version = partial.version
        switch op.0 {
        case "~", "~>":
            let upper =
                partial.count <= 1
                ? SemanticVersion(major: version.major + 1, minor: 0, patch: 0)
                : SemanticVersion(major: version.major, minor: version.minor + 1, patch: 0)
            return [Comparator(op: .ge, version: version), Comparator(op: .lt, version: upper)]
        case "^":
            let upper: SemanticVersion
            if version.major > 0 || partial.count <= 1 {
                upper = SemanticVersion(major: version.major + 1, minor: 0, patch: 0)
            } else if version.minor > 0 || partial.count == 2 {
                upper = SemanticVersion(major: 0, minor: version.minor + 1, patch: 0)
            } else {
                upper = SemanticVersion(major: 0, minor: 0, patch: version.patch + 1)
            }
            return [Comparator(op: .ge, version: version), Comparator(op: .lt, version: upper)]
        default:
            guard let plain = op.1 else { throw .invalidSemVer("cannot parse '\(term)'") }
            if partial.count == 3 { return [Comparator(op: plain, version: version)] }
            // Partial versions: `1.2` means the whole 1.2.x block.
            switch plain {
            case .eq: return [Comparator(op: .ge, version: version), partial.upperBound(inclusive: false)]
            case .lt, .ge: return [Comparator(op: plain, version: version)]
            case .le: return [partial.upperBound(inclusive: false)]
            case .gt:
                let bound = partial.upperBound(inclusive: false)
                return [Comparator(op: .ge, version: bound.version)]
            case .ne:
                return [Comparator(op: .ne, version: version)]
            }
        }
    }
}
