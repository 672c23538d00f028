extension LinearRegex {
    /// A recursive-descent parser for Go's regular expression syntax (regexp/syntax with Perl flags).
    struct Parser {
        struct Flags {
            var caseInsensitive = false
            var multiLine = false
            var dotAll = false
        }

        private let scalars: [Unicode.Scalar]
        private var position = 0
        private var depth = 0

        /// Groups nest at most this deep (Go allows 1,000; selector patterns need a handful).
        static let maxNesting = 250

        init(_ pattern: String) { scalars = Array(pattern.unicodeScalars) }

        mutating func parse() throws(SyntaxError) -> Node {
            var flags = Flags()
            let node = try alternation(&flags)
            if position < scalars.count { throw SyntaxError(detail: "unexpected ) at offset \(position)") }
            return node
        }

        private var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

        private func peek(_ offset: Int) -> Unicode.Scalar? {
            position + offset < scalars.count ? scalars[position + offset] : nil
        }

        private mutating func alternation(_ flags: inout Flags) throws(SyntaxError) -> Node {
            var branches = [try concatenation(&flags)]
            while current == "|" {
                position += 1
                branches.append(try concatenation(&flags))
            }
            return branches.count == 1 ? branches[0] : .alternate(branches)
        }

        private mutating func concatenation(_ flags: inout Flags) throws(SyntaxError) -> Node {
            var items: [Node] = []
            // False at the start, after a flag group and after a quantifier: `*`, `(?i)*` and `a**` are errors in Go.
            var canRepeat = false
            while let scalar = current, scalar != "|", scalar != ")" {
                if let (min, max, length) = quantifier() {
                    guard canRepeat, let last = items.popLast() else {
                        throw SyntaxError(detail: "missing argument to repetition operator at offset \(position)")
                    }
                    guard min <= 1_000, (max ?? min) <= 1_000, (max ?? min) >= min else {
                        throw SyntaxError(detail: "invalid repeat count at offset \(position)")
                    }
                    position += length
                    if current == "?" { position += 1 }  // lazy: the same language
                    items.append(.repeat(last, min: min, max: max))
                    canRepeat = false
                    continue
                }
                if let atom = try atom(&flags) {
                    items.append(atom)
                    canRepeat = true
                } else {
                    canRepeat = false
                }
            }
            return items.count == 1 ? items[0] : .concat(items)
        }

        /// A quantifier at the current position: its bounds and length, without consuming it.
        private func quantifier() -> (Int, Int?, Int)? {
            switch current {
            case "*": return (0, nil, 1)
            case "+": return (1, nil, 1)
            case "?": return (0, 1, 1)
            case "{": return braces()
            default: return nil
            }
        }

        /// `{n}`, `{n,}` or `{n,m}`; anything else makes `{` a literal, as in Go. Counts over 1,000 are refused by
        /// the caller.
        private func braces() -> (Int, Int?, Int)? {
            var index = position + 1
            func number() -> Int? {
                var value = 0
                let start = index
                while index < scalars.count, let digit = Int(String(scalars[index])), scalars[index].isASCII {
                    value = Swift.min(value * 10 + digit, 100_000)
                    index += 1
                }
                return index > start ? value : nil
            }
            guard let low = number() else { return nil }
            var high: Int? = low
            if index < scalars.count, scalars[index] == "," {
                index += 1
                high = number()
            }
            guard index < scalars.count, scalars[index] == "}" else { return nil }
            return (low, high, index + 1 - position)
        }

        private mutating func atom(_ flags: inout Flags) throws(SyntaxError) -> Node? {
            guard let scalar = current else { return nil }
            switch scalar {
            case "(": return try group(&flags)
            case "[":
                position += 1
                return .scalars(try characterClass(flags))
            case ".":
                position += 1
                var set = ScalarClass("\n")
                if flags.dotAll { set.insert(0...0x10FFFF) } else { set.negated = true }
                return .scalars(set)
            case "^":
                position += 1
                return .assert(flags.multiLine ? .beginLine : .beginText)
            case "$":
                position += 1
                return .assert(flags.multiLine ? .endLine : .endText)
            case "\\":
                return try escapeAtom(flags)
            default:
                position += 1
                return literal(scalar, flags)
            }
        }

        private func literal(_ scalar: Unicode.Scalar, _ flags: Flags) -> Node {
            let set = ScalarClass(scalar)
            return .scalars(flags.caseInsensitive ? set.caseFolded() : set)
        }

        private mutating func group(_ flags: inout Flags) throws(SyntaxError) -> Node? {
            let start = position
            position += 1
            var inner = flags
            if current == "?" {
                position += 1
                if current == "P" || (current == "<" && peek(1) != "=" && peek(1) != "!") {
                    if current == "P" { position += 1 }
                    guard current == "<" else { throw SyntaxError(detail: "invalid named capture at offset \(start)") }
                    position += 1
                    let nameStart = position
                    while let character = current, character != ">" {
                        guard character.properties.isAlphabetic || ("0"..."9").contains(character) || character == "_"
                        else { throw SyntaxError(detail: "invalid named capture at offset \(start)") }
                        position += 1
                    }
                    guard current == ">", position > nameStart else {
                        throw SyntaxError(detail: "invalid named capture at offset \(start)")
                    }
                    position += 1
                } else {
                    var negate = false
                    var sawFlag = false
                    loop: while let character = current {
                        position += 1
                        switch character {
                        case "i": inner.caseInsensitive = !negate
                        case "m": inner.multiLine = !negate
                        case "s": inner.dotAll = !negate
                        case "U": break
                        case "-":
                            guard !negate else { throw SyntaxError(detail: "invalid flags at offset \(start)") }
                            negate = true
                            continue loop
                        case ")":
                            guard sawFlag else { throw SyntaxError(detail: "missing flags at offset \(start)") }
                            flags = inner  // (?i): for the rest of the enclosing group
                            return nil
                        case ":": break loop
                        default: throw SyntaxError(detail: "invalid or unsupported group syntax at offset \(start)")
                        }
                        sawFlag = true
                    }
                }
            }
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxNesting else { throw SyntaxError(detail: "expression nests too deeply") }
            let node = try alternation(&inner)
            guard current == ")" else { throw SyntaxError(detail: "missing closing ) for the group at offset \(start)") }
            position += 1
            return node
        }

        private mutating func escapeAtom(_ flags: Flags) throws(SyntaxError) -> Node? {
            switch peek(1) {
            case "A":
                position += 2
                return .assert(.beginText)
            case "z":
                position += 2
                return .assert(.endText)
            case "b":
                position += 2
                return .assert(.wordBoundary)
            case "B":
                position += 2
                return .assert(.notWordBoundary)
            case "Q":
                position += 2
                var items: [Node] = []
                while let scalar = current {
                    if scalar == "\\", peek(1) == "E" {
                        position += 2
                        break
                    }
                    items.append(literal(scalar, flags))
                    position += 1
                }
                return .concat(items)
            default:
                if let set = try classEscape() { return .scalars(flags.caseInsensitive ? set.caseFolded() : set) }
                return literal(try singleEscape(), flags)
            }
        }

        /// `\d \D \s \S \w \W \pX \p{…} \PX \P{…}` at the current position, consumed; nil for other escapes.
        private mutating func classEscape() throws(SyntaxError) -> ScalarClass? {
            guard current == "\\", let letter = peek(1) else { return nil }
            switch letter {
            case "d", "s", "w", "D", "S", "W":
                position += 2
                var set = ScalarClass.perl(Character(String(letter).lowercased()))
                set.negated = letter.properties.isUppercase
                return set
            case "p", "P":
                let start = position
                position += 2
                var name = ""
                if current == "{" {
                    position += 1
                    while let scalar = current, scalar != "}" {
                        name.unicodeScalars.append(scalar)
                        position += 1
                    }
                    guard current == "}" else { throw SyntaxError(detail: "invalid character class range at offset \(start)") }
                    position += 1
                } else if let scalar = current {
                    name.unicodeScalars.append(scalar)
                    position += 1
                }
                var negated = letter == "P"
                if name.hasPrefix("^") {
                    negated.toggle()
                    name.removeFirst()
                }
                guard var set = ScalarClass.unicode(name) else {
                    throw SyntaxError(detail: "unsupported Unicode class '\(name)' at offset \(start)")
                }
                set.negated = negated
                return set
            default:
                return nil
            }
        }

        /// One escaped scalar (`\n`, `\x41`, `\x{263a}`, `\101`, `\.`), consumed.
        private mutating func singleEscape() throws(SyntaxError) -> Unicode.Scalar {
            let start = position
            position += 1
            guard let letter = current else { throw SyntaxError(detail: "trailing backslash at end of expression") }
            position += 1
            let invalid = SyntaxError(detail: "invalid escape sequence at offset \(start)")
            switch letter {
            case "a": return "\u{07}"
            case "f": return "\u{0C}"
            case "t": return "\t"
            case "n": return "\n"
            case "r": return "\r"
            case "v": return "\u{0B}"
            case "0"..."7":
                // A lone non-zero digit would be a back-reference, which RE2 does not have.
                guard letter == "0" || current.map({ ("0"..."7").contains($0) }) == true else { throw invalid }
                var value = letter.value - 48
                for _ in 0..<2 {
                    guard let digit = current, ("0"..."7").contains(digit) else { break }
                    value = value * 8 + digit.value - 48
                    position += 1
                }
                return Unicode.Scalar(value) ?? "\0"
            case "x":
                var digits = ""
                if current == "{" {
                    position += 1
                    while let scalar = current, scalar != "}", digits.count <= 8 {
                        digits.unicodeScalars.append(scalar)
                        position += 1
                    }
                    guard current == "}" else { throw invalid }
                    position += 1
                } else {
                    for _ in 0..<2 {
                        guard let scalar = current else { throw invalid }
                        digits.unicodeScalars.append(scalar)
                        position += 1
                    }
                }
                guard !digits.isEmpty, let value = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(value) else {
                    throw invalid
                }
                return scalar
            default:
                // Any ASCII punctuation may be escaped; letters and digits only in the forms above.
                guard letter.isASCII, !letter.properties.isAlphabetic, !("0"..."9").contains(letter) else { throw invalid }
                return letter
            }
        }

        /// A bracketed class; the `[` is consumed.
        private mutating func characterClass(_ flags: Flags) throws(SyntaxError) -> ScalarClass {
            let start = position - 1
            var set = ScalarClass()
            let negated = current == "^"
            if negated { position += 1 }
            var first = true
            while let scalar = current, scalar != "]" || first {
                first = false
                if scalar == "[", peek(1) == ":" {
                    if let named = posixClass() {
                        set.formUnion(named)
                        continue
                    }
                }
                if let escaped = try classEscape() {
                    set.formUnion(escaped)
                    continue
                }
                let low = try classScalar()
                var high = low
                if current == "-", let after = peek(1), after != "]" {
                    position += 1
                    high = try classScalar()
                    guard high.value >= low.value else {
                        throw SyntaxError(detail: "invalid character class range at offset \(start)")
                    }
                }
                set.insert(low.value...high.value)
            }
            guard current == "]" else { throw SyntaxError(detail: "missing closing ] at offset \(start)") }
            position += 1
            if flags.caseInsensitive { set = set.caseFolded() }
            set.negated = negated
            return set
        }

        private mutating func classScalar() throws(SyntaxError) -> Unicode.Scalar {
            guard let scalar = current else { throw SyntaxError(detail: "missing closing ]") }
            if scalar == "\\" { return try singleEscape() }
            position += 1
            return scalar
        }

        /// `[:alpha:]` or `[:^alpha:]` at the current position, consumed; nil (nothing consumed) otherwise.
        private mutating func posixClass() -> ScalarClass? {
            var index = position + 2
            var name = ""
            while index < scalars.count, scalars[index] != ":" {
                name.unicodeScalars.append(scalars[index])
                index += 1
            }
            guard index + 1 < scalars.count, scalars[index + 1] == "]" else { return nil }
            let negated = name.hasPrefix("^")
            guard var set = ScalarClass.posix(negated ? String(name.dropFirst()) : name) else { return nil }
            set.negated = negated
            position = index + 2
            return set
        }
    }
}
