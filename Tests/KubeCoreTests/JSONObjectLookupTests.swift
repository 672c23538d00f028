import KubeCore
import Testing

/// Small objects scan their keys, larger ones keep a dictionary of positions: both must behave the same.
@Suite("JSONObject lookups across the small/large boundary")
struct JSONObjectLookupTests {
    @Test("every key is found, in order, while an object grows past the index threshold and shrinks back", arguments: [1, 8, 9, 30])
    func growAndShrink(size: Int) {
        var object = JSONObject()
        var expected: [String] = []
        for index in 0..<size {
            object["key\(index)"] = .integer(Int64(index))
            expected.append("key\(index)")
            for (position, key) in expected.enumerated() { #expect(object[key] == .integer(Int64(position))) }
            #expect(object["missing"] == nil)
        }
        #expect(object.keys == expected)
        // Replacing keeps the position; removing from the front shifts the rest.
        object["key0"] = "replaced"
        #expect(object.keys == expected)
        #expect(object["key0"] == "replaced")
        while !expected.isEmpty {
            let removed = expected.removeFirst()
            object[removed] = nil
            #expect(object[removed] == nil)
            #expect(object.keys == expected)
            for key in expected.dropFirst(0) {
                #expect(object[key] == .integer(Int64(key.dropFirst(3)) ?? -1))
            }
            #expect(object.count == expected.count)
        }
        #expect(object.isEmpty)
    }

    @Test("removing from the middle of a large object keeps later keys reachable")
    func removeMiddleOfLargeObject() {
        var object = JSONObject((0..<20).map { ("k\($0)", JSONValue.integer(Int64($0))) })
        object["k5"] = nil
        object["k12"] = nil
        object["new"] = true
        #expect(object.count == 19)
        for index in 0..<20 where index != 5 && index != 12 { #expect(object["k\(index)"] == .integer(Int64(index))) }
        #expect(object["new"] == true)
        #expect(object.keys.last == "new")
        // Shrinking below the threshold by removals still finds everything.
        for index in 0..<20 where index >= 4 && index != 5 && index != 12 { object["k\(index)"] = nil }
        #expect(object.keys == ["k0", "k1", "k2", "k3", "new"])
        #expect(object["k3"] == 3 && object["new"] == true && object["k19"] == nil)
    }

    @Test("equality and hashing ignore how lookups are stored")
    func equalityAcrossLayouts() {
        var grown = JSONObject((0..<12).map { ("k\($0)", JSONValue.integer(Int64($0))) })
        for index in 3..<12 { grown["k\(index)"] = nil }
        let built = JSONObject((0..<3).map { ("k\($0)", JSONValue.integer(Int64($0))) })
        #expect(grown == built)
        #expect(grown.hashValue == built.hashValue)
        let duplicate = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(duplicate.keys == ["a", "b"] && duplicate["a"] == 3, "a later duplicate replaces the earlier value")
    }
}
