import CYaml
import Yams

/// Bounds on a YAML stream, checked before Yams composes it.
public struct YAMLLimits: Sendable, Equatable {
    /// The most nodes a stream may hold after alias expansion (stops "billion laughs"). Default 1,000,000.
    public var maxNodes: Int
    /// The deepest nesting of mappings and sequences. Default 256 (Kubernetes objects nest a few dozen levels).
    public var maxDepth: Int

    /// Limits with the defaults above.
    public init(maxNodes: Int = 1_000_000, maxDepth: Int = 256) {
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
    }
}

/// Why a YAML stream was refused before it was composed.
public enum YAMLPreflightError: Error, Sendable, Equatable {
    /// More nodes than ``YAMLLimits/maxNodes`` after alias expansion.
    case tooManyNodes(limit: Int)
    /// Mappings and sequences nested deeper than ``YAMLLimits/maxDepth``; `line` is where the limit was crossed.
    case tooDeep(line: Int, limit: Int)
    /// A mapping or sequence (written out or through an alias) used as a mapping key, at `line`.
    case collectionKey(line: Int)

    /// What is wrong and what to do, without any text of the document (it may hold secrets).
    public var message: String {
        switch self {
        case .tooManyNodes(let limit):
            "more than \(limit) nodes after alias expansion; remove recursive or repeated anchors"
        case .tooDeep(let line, let limit):
            "line \(line): mappings and sequences nested deeper than \(limit) levels"
        case .collectionKey(let line):
            "line \(line): a mapping or sequence used as a mapping key is not supported; use a string key"
        }
    }
}

/// Checks a YAML stream with libyaml's event parser (the copy Yams itself uses) before Yams composes it.
///
/// Composing is where hostile YAML costs time: Yams checks every mapping for duplicate keys by hashing each key
/// node whole, so a key that is an alias of a "billion laughs" tree is hashed over 10⁹ leaves, and keys nested in
/// keys are hashed once per level (quadratic), all before a caller sees a single node. This pass walks the events
/// once, with no recursion and no tree, and refuses:
/// - any mapping or sequence used as a mapping key (Kubernetes objects and kustomize never have them; an alias of a
///   scalar is still a valid key),
/// - more than ``YAMLLimits/maxNodes`` nodes in the stream after alias expansion,
/// - nesting deeper than ``YAMLLimits/maxDepth``.
///
/// Syntax errors are not reported here: the scan stops at the first one and the caller's parser reports it with
/// its own message (everything before the error has been checked).
public enum YAMLPreflight {
    /// Checks `text`; returns the number of nodes after alias expansion (up to the first syntax error).
    @discardableResult
    public static func check(_ text: String, limits: YAMLLimits = YAMLLimits()) throws(YAMLPreflightError) -> Int {
        var text = text
        let result = text.withUTF8 { bytes in Result { () throws(YAMLPreflightError) in try scan(bytes, limits) } }
        return try result.get()
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ limits: YAMLLimits) throws(YAMLPreflightError)
        -> Int
    {
        var scan = Scan(limits: limits)
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return 0 }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, base, bytes.count)
        var event = yaml_event_t()
        while yaml_parser_parse(&parser, &event) == 1 {
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { break }
            try scan.handle(event)
        }
        return scan.total
    }

    /// The walk's state: open collections, anchors and their expanded sizes, and the running node count.
    private struct Scan {
        struct Frame {
            var isMapping: Bool
            /// For a mapping: whether the next node is a key.
            var expectsKey: Bool
            var anchor: String?
            /// ``total`` when the collection started; its expanded size is the difference at its end.
            var startTotal: Int
        }

        struct Anchored {
            var size: Int
            var isCollection: Bool
        }

        let limits: YAMLLimits
        var frames: [Frame] = []
        var anchors: [String: Anchored] = [:]
        var total = 0

        init(limits: YAMLLimits) { self.limits = limits }

        mutating func handle(_ event: yaml_event_t) throws(YAMLPreflightError) {
            let line = Int(event.start_mark.line) + 1
            switch event.type {
            case YAML_SCALAR_EVENT:
                try count(1)
                if let anchor = Self.name(event.data.scalar.anchor) {
                    anchors[anchor] = Anchored(size: 1, isCollection: false)
                }
                nodeEnded()
            case YAML_ALIAS_EVENT:
                let target = Self.name(event.data.alias.anchor).flatMap { anchors[$0] }
                if target?.isCollection == true, frames.last?.isMapping == true, frames.last?.expectsKey == true {
                    throw .collectionKey(line: line)
                }
                try count(target?.size ?? 1)
                nodeEnded()
            case YAML_SEQUENCE_START_EVENT:
                try open(isMapping: false, anchor: Self.name(event.data.sequence_start.anchor), line: line)
            case YAML_MAPPING_START_EVENT:
                try open(isMapping: true, anchor: Self.name(event.data.mapping_start.anchor), line: line)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = frames.popLast() else { return }
                if let anchor = frame.anchor {
                    anchors[anchor] = Anchored(size: total - frame.startTotal, isCollection: true)
                }
                nodeEnded()
            default:
                break
            }
        }

        private mutating func open(isMapping: Bool, anchor: String?, line: Int) throws(YAMLPreflightError) {
            if frames.last?.isMapping == true, frames.last?.expectsKey == true { throw .collectionKey(line: line) }
            guard frames.count < limits.maxDepth else { throw .tooDeep(line: line, limit: limits.maxDepth) }
            let start = total
            try count(1)
            frames.append(Frame(isMapping: isMapping, expectsKey: true, anchor: anchor, startTotal: start))
        }

        /// A node of the innermost collection is complete: a mapping alternates between keys and values.
        private mutating func nodeEnded() {
            guard let last = frames.indices.last, frames[last].isMapping else { return }
            frames[last].expectsKey.toggle()
        }

        private mutating func count(_ nodes: Int) throws(YAMLPreflightError) {
            let (sum, overflow) = total.addingReportingOverflow(nodes)
            guard !overflow, sum <= limits.maxNodes else { throw .tooManyNodes(limit: limits.maxNodes) }
            total = sum
        }

        private static func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let pointer else { return nil }
            return String(cString: pointer)
        }
    }
}
