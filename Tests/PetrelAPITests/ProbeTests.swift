import PetrelAPI
import Testing

@Suite("The schema probe reads what a type decodes")
struct ProbeTests {
    struct Sample: Decodable {
        enum Mode: String, Decodable, CaseIterable {
            case a = "A"
            case b = "B"
        }
        struct Child: Decodable {
            var value: Int64
        }
        var name: String
        var count: Int64?
        var flags: [Bool]?
        var labels: [String: String]?
        var children: [Child]
        var mode: Mode?
        var every: GoDuration
        var at: Time?
    }

    @Test("required, optional, arrays, maps, enums and leaf types come out as a CRD would declare them")
    func sample() throws {
        let fields = try SchemaProbe.fields(of: Sample.self)
        #expect(
            fields == [
                "name": FieldShape(type: "string", required: true),
                "count": FieldShape(type: "integer", format: "int64", required: false),
                "flags": FieldShape(type: "array", required: false),
                "flags[]": FieldShape(type: "boolean", required: false),
                "labels": FieldShape(type: "object", required: false),
                "children": FieldShape(type: "array", required: true),
                "children[]": FieldShape(type: "object", required: false),
                "children[].value": FieldShape(type: "integer", format: "int64", required: true),
                "mode": FieldShape(type: "string", required: false, enumValues: ["A", "B"]),
                "every": FieldShape(type: "string", required: true),
                "at": FieldShape(type: "string", format: "date-time", required: false),
            ])
    }
}
