/// A line diff in the unified format of `diff -u` (three lines of context).
enum UnifiedDiff {
    /// One line of an edit script.
    enum Line: Equatable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// The unified diff of `old` and `new` (texts split on newlines), with `---`/`+++` headers; empty when equal.
    static func render(old: String, new: String, oldLabel: String, newLabel: String, context: Int = 3) -> String {
        let script = edits(lines(old), lines(new))
        guard script.contains(where: { if case .same = $0 { false } else { true } }) else { return "" }
        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        for hunk in hunks(script, context: context) { out += hunk }
        return out
    }

    static func lines(_ text: String) -> [String] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// A shortest edit script: common prefix and suffix kept, the middle by longest common subsequence (replaced
    /// wholesale when it is too large for the quadratic table).
    static func edits(_ a: [String], _ b: [String]) -> [Line] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        var script = a[..<prefix].map(Line.same)
        script += middle(middleA, middleB)
        script += a[(a.count - suffix)...].map(Line.same)
        return script
    }

    private static func middle(_ a: [String], _ b: [String]) -> [Line] {
        let n = a.count
        let m = b.count
        if n == 0 { return b.map(Line.added) }
        if m == 0 { return a.map(Line.removed) }
        guard n * m <= 16_000_000 else { return a.map(Line.removed) + b.map(Line.added) }
        // lengths[i][j]: LCS length of a[i...] and b[j...], flattened.
        let width = m + 1
        var lengths = [Int32](repeating: 0, count: (n + 1) * width)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lengths[i * width + j] =
                    a[i] == b[j]
                    ? lengths[(i + 1) * width + j + 1] + 1
                    : max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
            }
        }
        var script: [Line] = []
        var i = 0
        var j = 0
        while i < n, j < m {
            if a[i] == b[j] {
                script.append(.same(a[i]))
                i += 1
                j += 1
            } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
                script.append(.removed(a[i]))
                i += 1
            } else {
                script.append(.added(b[j]))
                j += 1
            }
        }
        script += a[i...].map(Line.removed)
        script += b[j...].map(Line.added)
        return script
    }

    /// The `@@ -l,s +l,s @@` hunks of an edit script.
    static func hunks(_ script: [Line], context: Int) -> [String] {
        let changed = script.indices.filter { if case .same = script[$0] { false } else { true } }
        guard let first = changed.first else { return [] }
        // Group changes whose context windows touch.
        var groups: [(Int, Int)] = []
        var start = first
        var end = first
        for index in changed.dropFirst() {
            if index - end <= 2 * context {
                end = index
            } else {
                groups.append((start, end))
                start = index
                end = index
            }
        }
        groups.append((start, end))
        // Line numbers before each script position.
        var oldLine = [Int](repeating: 0, count: script.count + 1)
        var newLine = [Int](repeating: 0, count: script.count + 1)
        for (index, line) in script.enumerated() {
            let (inOld, inNew): (Int, Int) =
                switch line {
                case .same: (1, 1)
                case .removed: (1, 0)
                case .added: (0, 1)
                }
            oldLine[index + 1] = oldLine[index] + inOld
            newLine[index + 1] = newLine[index] + inNew
        }
        return groups.map { group in
            let lower = max(0, group.0 - context)
            let upper = min(script.count, group.1 + context + 1)
            let oldCount = oldLine[upper] - oldLine[lower]
            let newCount = newLine[upper] - newLine[lower]
            // diff -u numbers an empty range by the line before it.
            let oldStart = oldCount == 0 ? oldLine[lower] : oldLine[lower] + 1
            let newStart = newCount == 0 ? newLine[lower] : newLine[lower] + 1
            var text = "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            for line in script[lower..<upper] {
                switch line {
                case .same(let content): text += " \(content)\n"
                case .removed(let content): text += "-\(content)\n"
                case .added(let content): text += "+\(content)\n"
                }
            }
            return text
        }
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(start),\(count)"
    }
}
