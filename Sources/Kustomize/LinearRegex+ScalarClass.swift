extension LinearRegex {
    /// A set of Unicode scalars: sorted ranges plus general categories, possibly negated.
    struct ScalarClass: Sendable, Equatable {
        /// Sorted, non-overlapping, non-adjacent ranges of scalar values.
        private(set) var ranges: [ClosedRange<UInt32>] = []
        /// Scalars in any of these categories belong to the class.
        var categories: [Unicode.GeneralCategory] = []
        /// Scalars outside every one of these groups belong to the class (`\PL` inside a class).
        var excludedCategoryGroups: [[Unicode.GeneralCategory]] = []
        var negated = false

        init() {}

        init(_ scalar: Unicode.Scalar) { insert(scalar.value...scalar.value) }

        func contains(_ value: UInt32) -> Bool {
            var found = false
            var low = 0
            var high = ranges.count - 1
            while low <= high {
                let middle = (low + high) / 2
                if ranges[middle].upperBound < value {
                    low = middle + 1
                } else if ranges[middle].lowerBound > value {
                    high = middle - 1
                } else {
                    found = true
                    break
                }
            }
            if !found, !categories.isEmpty || !excludedCategoryGroups.isEmpty, let scalar = Unicode.Scalar(value) {
                let category = scalar.properties.generalCategory
                found = categories.contains(category) || excludedCategoryGroups.contains { !$0.contains(category) }
            }
            return found != negated
        }

        /// Adds `range`, keeping the ranges sorted and merged.
        mutating func insert(_ range: ClosedRange<UInt32>) {
            var merged = range
            var result: [ClosedRange<UInt32>] = []
            var placed = false
            for existing in ranges {
                if existing.upperBound &+ 1 < merged.lowerBound {
                    result.append(existing)
                } else if merged.upperBound &+ 1 < existing.lowerBound {
                    if !placed {
                        result.append(merged)
                        placed = true
                    }
                    result.append(existing)
                } else {
                    merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
                }
            }
            if !placed { result.append(merged) }
            ranges = result
        }

        /// Adds every member of `other`. A negated `other` holds either only ranges (`\D`, `[:^alpha:]`) or only
        /// categories (`\PL`), which is all a class item can be.
        mutating func formUnion(_ other: ScalarClass) {
            guard other.negated else {
                for range in other.ranges { insert(range) }
                categories += other.categories
                excludedCategoryGroups += other.excludedCategoryGroups
                return
            }
            if !other.categories.isEmpty {
                excludedCategoryGroups.append(other.categories)
                return
            }
            var start: UInt32 = 0
            for range in other.ranges {
                if range.lowerBound > start { insert(start...(range.lowerBound - 1)) }
                start = range.upperBound &+ 1
            }
            if start <= 0x10FFFF { insert(start...0x10FFFF) }
        }

        /// The class with the simple upper, lower and title case forms of its letters added (`(?i)`).
        func caseFolded() -> ScalarClass {
            var folded = self
            for range in ranges {
                // Huge ranges already hold both cases of what matters; fold only their ASCII part beyond a bound.
                let upper = range.count > 4096 ? min(range.upperBound, 0x7F) : range.upperBound
                guard range.lowerBound <= upper else { continue }
                for value in range.lowerBound...upper {
                    guard let scalar = Unicode.Scalar(value) else { continue }
                    let properties = scalar.properties
                    for mapping in [properties.lowercaseMapping, properties.uppercaseMapping, properties.titlecaseMapping] {
                        let scalars = mapping.unicodeScalars
                        if scalars.count == 1, let first = scalars.first, first != scalar {
                            folded.insert(first.value...first.value)
                        }
                    }
                }
            }
            return folded
        }

        /// `\d`, `\s`, `\w` (ASCII, as in Go).
        static func perl(_ letter: Character) -> ScalarClass {
            var set = ScalarClass()
            switch letter {
            case "d": set.insert(48...57)
            case "s":
                for value: UInt32 in [9, 10, 12, 13, 32] { set.insert(value...value) }
            default:
                set.insert(48...57)
                set.insert(65...90)
                set.insert(95...95)
                set.insert(97...122)
            }
            return set
        }

        /// `[:name:]` classes (ASCII, as in Go); nil for an unknown name.
        static func posix(_ name: String) -> ScalarClass? {
            var set = ScalarClass()
            let ranges: [ClosedRange<UInt32>]
            switch name {
            case "alnum": ranges = [48...57, 65...90, 97...122]
            case "alpha": ranges = [65...90, 97...122]
            case "ascii": ranges = [0...0x7F]
            case "blank": ranges = [9...9, 32...32]
            case "cntrl": ranges = [0...31, 0x7F...0x7F]
            case "digit": ranges = [48...57]
            case "graph": ranges = [33...126]
            case "lower": ranges = [97...122]
            case "print": ranges = [32...126]
            case "punct": ranges = [33...47, 58...64, 91...96, 123...126]
            case "space": ranges = [9...13, 32...32]
            case "upper": ranges = [65...90]
            case "word": ranges = [48...57, 65...90, 95...95, 97...122]
            case "xdigit": ranges = [48...57, 65...70, 97...102]
            default: return nil
            }
            for range in ranges { set.insert(range) }
            return set
        }

        /// A Unicode general category or category group (`L`, `Lu`, …, `Any`); nil for scripts and unknown names.
        static func unicode(_ name: String) -> ScalarClass? {
            var set = ScalarClass()
            if name == "Any" {
                set.insert(0...0x10FFFF)
                return set
            }
            let all: [(String, Unicode.GeneralCategory)] = [
                ("Lu", .uppercaseLetter), ("Ll", .lowercaseLetter), ("Lt", .titlecaseLetter), ("Lm", .modifierLetter),
                ("Lo", .otherLetter), ("Mn", .nonspacingMark), ("Mc", .spacingMark), ("Me", .enclosingMark),
                ("Nd", .decimalNumber), ("Nl", .letterNumber), ("No", .otherNumber), ("Pc", .connectorPunctuation),
                ("Pd", .dashPunctuation), ("Ps", .openPunctuation), ("Pe", .closePunctuation),
                ("Pi", .initialPunctuation), ("Pf", .finalPunctuation), ("Po", .otherPunctuation),
                ("Sm", .mathSymbol), ("Sc", .currencySymbol), ("Sk", .modifierSymbol), ("So", .otherSymbol),
                ("Zs", .spaceSeparator), ("Zl", .lineSeparator), ("Zp", .paragraphSeparator), ("Cc", .control),
                ("Cf", .format), ("Cs", .surrogate), ("Co", .privateUse), ("Cn", .unassigned),
            ]
            set.categories = all.filter { $0.0 == name || (name.count == 1 && $0.0.hasPrefix(name)) }.map(\.1)
            return set.categories.isEmpty ? nil : set
        }
    }
}
