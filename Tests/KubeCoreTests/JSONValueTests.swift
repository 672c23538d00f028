import KubeCore
import Testing

@Suite("JSON values")
struct JSONValueTests {
    @Test("parsing keeps object keys in document order and round-trips")
    func roundTripKeepsOrder() throws {
        let text = #"{"z":1,"a":{"y":[true,false,null],"b":"x"},"m":-2.5,"e":1e3}"#
        let value = try JSONParser.parse(text)
        #expect(value.objectValue?.keys == ["z", "a", "m", "e"])
        #expect(JSONSerializer.string(value) == #"{"z":1,"a":{"y":[true,false,null],"b":"x"},"m":-2.5,"e":1000}"#)
    }

    @Test("integers stay integers and doubles stay doubles")
    func numbers() throws {
        #expect(try JSONParser.parse("3") == .integer(3))
        #expect(try JSONParser.parse("-0") == .integer(0))
        #expect(try JSONParser.parse("3.5") == .double(3.5))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9.223372036854775808e18))
    }

    @Test("string escapes decode and encode like Go's encoding/json")
    func escapes() throws {
        let value = try JSONParser.parse(#""a\"b\\c\n\u00e9\ud83d\ude00<&>""#)
        #expect(value == .string("a\"b\\c\né😀<&>"))
        #expect(JSONSerializer.string(value) == #""a\"b\\c\né😀\u003c\u0026\u003e""#)
        #expect(JSONSerializer.string(.string("\u{2028}x\u{1}")) == #""\u2028x\u0001""#)
    }

    @Test("malformed input is refused with the byte offset", arguments: [
        ("{\"a\":}", 5), ("[1,]", 3), ("{\"a\" 1}", 5), ("tru", 0), ("\"abc", 4), ("1 2", 2), ("", 0), ("01", 1),
    ])
    func malformed(text: String, offset: Int) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
        do {
            _ = try JSONParser.parse(text)
        } catch {
            #expect(error.offset == offset)
        }
    }

    @Test("nesting beyond the bound is refused rather than overflowing the stack")
    func depthBound() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        #expect(throws: Never.self) { try JSONParser.parse(deep, maxDepth: 1_000) }
    }

    @Test("setting and removing keys keeps the order of the others")
    func objectEditing() {
        var value: JSONValue = ["a": 1, "b": 2, "c": 3]
        value["b"] = nil
        value["d"] = "x"
        value["a"] = 9
        #expect(value.objectValue?.keys == ["a", "c", "d"])
        #expect(value["a"] == 9)
        value.set(path: ["metadata", "labels", "app"], to: "web")
        #expect(value[path: ["metadata", "labels", "app"]] == "web")
    }

    @Test("semantic equality ignores key order and number representation")
    func semanticEquality() throws {
        let lhs = try JSONParser.parse(#"{"a":1,"b":[{"x":2.0,"y":"z"}]}"#)
        let rhs = try JSONParser.parse(#"{"b":[{"y":"z","x":2}],"a":1.0}"#)
        #expect(lhs.semanticallyEquals(rhs))
        #expect(lhs != rhs)
        #expect(!lhs.semanticallyEquals(try JSONParser.parse(#"{"a":1,"b":[]}"#)))
    }

    @Test("sorted serialization orders keys by bytes, as Go does for maps")
    func sortedKeys() {
        let value: JSONValue = ["b": 1, "B": 2, "a": ["d": 1, "c": 2]]
        #expect(JSONSerializer.string(value, sortKeys: true) == #"{"B":2,"a":{"c":2,"d":1},"b":1}"#)
    }
}
