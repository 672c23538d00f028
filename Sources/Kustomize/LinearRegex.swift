/// A regular expression in Go's syntax (RE2, what kustomize compiles selector patterns with), matched in time
/// linear in the input: a Thompson simulation of the compiled program, never backtracking.
///
/// ICU (`NSRegularExpression`) backtracks: a selector such as `(a|a)+b` took about 1.5 s per object name, for every
/// object of a build and every patch. This engine takes at most (name length + 1) × program size steps.
///
/// Supported: literals and escapes (`\t`, `\x41`, `\x{263a}`, octal, `\Q…\E`, escaped punctuation), `.`, classes
/// (`[a-z]`, `[^…]`, `[[:alpha:]]`, `\d \s \w` and their negations, Unicode general categories `\pL`,
/// `\p{Lu}`), anchors (`^ $ \A \z \b \B`), groups (capturing, `(?:…)`, named), flags `i m s U`, alternation and
/// repetition (`* + ? {n} {n,} {n,m}`, lazy forms). Unicode scripts (`\p{Greek}`) are not supported.
struct LinearRegex: Sendable {
    /// Why a pattern could not be compiled.
    struct SyntaxError: Error, Equatable, Sendable {
        var detail: String
    }

    /// The most instructions a compiled pattern may have (repetitions are expanded, as in RE2).
    static let maxInstructions = 10_000

    enum Assertion: Sendable {
        case beginText, endText, beginLine, endLine, wordBoundary, notWordBoundary
    }

    enum Instruction: Sendable {
        case scalars(ScalarClass)
        case split(Int, Int)
        case jump(Int)
        case assert(Assertion)
        case match
    }

    let program: [Instruction]

    /// Compiles `pattern`, anchored at both ends as kustomize anchors selector patterns (`^(?:pattern)$`).
    init(wholeMatch pattern: String) throws(SyntaxError) {
        var parser = Parser(pattern)
        let tree = try parser.parse()
        var compiler = Compiler()
        try compiler.emit(.assert(.beginText))
        try compiler.compile(tree)
        try compiler.emit(.assert(.endText))
        try compiler.emit(.match)
        program = compiler.program
    }

    /// Whether the whole of `text` matches. `shouldStop` is asked every few hundred characters; when it answers
    /// true the match gives up and answers false (the build is past its deadline).
    func matches(_ text: String, shouldStop: () -> Bool = { false }) -> Bool {
        let input = Array(text.unicodeScalars)
        var current: [Int] = []
        var next: [Int] = []
        var stack: [Int] = []
        var seen = [Int](repeating: -1, count: program.count)
        follow(from: 0, at: 0, in: input, into: &current, seen: &seen, stack: &stack)
        for position in input.indices {
            if current.isEmpty { return false }
            if position & 255 == 255, shouldStop() { return false }
            let value = input[position].value
            next.removeAll(keepingCapacity: true)
            for pc in current {
                if case .scalars(let set) = program[pc], set.contains(value) {
                    follow(from: pc + 1, at: position + 1, in: input, into: &next, seen: &seen, stack: &stack)
                }
            }
            swap(&current, &next)
        }
        return current.contains { if case .match = program[$0] { true } else { false } }
    }

    /// Adds the instructions reachable from `start` without consuming input (the epsilon closure) to `list`.
    private func follow(
        from start: Int, at position: Int, in input: [Unicode.Scalar], into list: inout [Int], seen: inout [Int],
        stack: inout [Int]
    ) {
        stack.append(start)
        while let pc = stack.popLast() {
            guard seen[pc] != position else { continue }
            seen[pc] = position
            switch program[pc] {
            case .jump(let target): stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .assert(let assertion):
                if Self.holds(assertion, at: position, in: input) { stack.append(pc + 1) }
            case .scalars, .match: list.append(pc)
            }
        }
    }

    private static func holds(_ assertion: Assertion, at position: Int, in input: [Unicode.Scalar]) -> Bool {
        let before = position > 0 ? input[position - 1] : nil
        let after = position < input.count ? input[position] : nil
        switch assertion {
        case .beginText: return before == nil
        case .endText: return after == nil
        case .beginLine: return before == nil || before == "\n"
        case .endLine: return after == nil || after == "\n"
        case .wordBoundary: return isWord(before) != isWord(after)
        case .notWordBoundary: return isWord(before) == isWord(after)
        }
    }

    private static func isWord(_ scalar: Unicode.Scalar?) -> Bool {
        guard let scalar else { return false }
        return ScalarClass.perl("w").contains(scalar.value)
    }
}

extension LinearRegex {
    /// A parsed pattern.
    indirect enum Node: Sendable {
        case empty
        case scalars(ScalarClass)
        case assert(Assertion)
        case concat([Node])
        case alternate([Node])
        case `repeat`(Node, min: Int, max: Int?)
    }

    /// Turns a tree into instructions, refusing programs over ``maxInstructions``.
    struct Compiler {
        var program: [Instruction] = []

        mutating func emit(_ instruction: Instruction) throws(SyntaxError) {
            guard program.count < LinearRegex.maxInstructions else {
                throw SyntaxError(detail: "expression too large (over \(LinearRegex.maxInstructions) instructions)")
            }
            program.append(instruction)
        }

        mutating func compile(_ node: Node) throws(SyntaxError) {
            switch node {
            case .empty: break
            case .scalars(let set): try emit(.scalars(set))
            case .assert(let assertion): try emit(.assert(assertion))
            case .concat(let items): for item in items { try compile(item) }
            case .alternate(let items):
                var exits: [Int] = []
                for (index, item) in items.enumerated() {
                    if index == items.count - 1 {
                        try compile(item)
                    } else {
                        let split = program.count
                        try emit(.split(split + 1, -1))
                        try compile(item)
                        exits.append(program.count)
                        try emit(.jump(-1))
                        program[split] = .split(split + 1, program.count)
                    }
                }
                for exit in exits { program[exit] = .jump(program.count) }
            case .repeat(let item, let min, let max):
                for _ in 0..<min { try compile(item) }
                if let max {
                    // (x(x(x)?)?)?: every optional copy may skip to the end.
                    var skips: [Int] = []
                    for _ in min..<max {
                        skips.append(program.count)
                        try emit(.split(program.count + 1, -1))
                        try compile(item)
                    }
                    for skip in skips { program[skip] = .split(skip + 1, program.count) }
                } else {
                    let loop = program.count
                    try emit(.split(loop + 1, -1))
                    try compile(item)
                    try emit(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }
}
