import KubeCore
import Testing

@testable import Kustomize

@Suite("Content hash suffix")
struct ContentHashTests {
    @Test("SHA-256 of known inputs")
    func sha256() {
        #expect(SHA256Digest.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array(String(repeating: "a", count: 1000).utf8)
        #expect(SHA256Digest.hex(long) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test("the suffix alphabet maps 0 1 3 a e")
    func alphabet() {
        #expect(ContentHash.encode("0123456789abcdef") == "gh2k456789")
        #expect(ContentHash.encode("a1e3000000ff") == "mhtkgggggg")
    }

    @Test("ConfigMap suffix matches kubectl kustomize for a known ConfigMap, whatever its name")
    func configMapSuffix() {
        // kubectl kustomize names a configMapGenerator `app` with literals A=1, B=hello world, C="quoted" app-k2h4thfd65.
        var object: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "app"],
            "data": ["A": "1", "B": "hello world", "C": "quoted"],
        ]
        #expect(ContentHash.suffix(for: object) == "k2h4thfd65")
        object.set(path: ["metadata", "name"], to: "renamed")
        #expect(ContentHash.suffix(for: object) == "k2h4thfd65")
        object.set(path: ["data", "A"], to: "2")
        #expect(ContentHash.suffix(for: object) != "k2h4thfd65")
    }

    @Test("Go's JSON encoding escapes HTML characters and sorts keys")
    func goJSON() {
        #expect(ContentHash.goJSON(["b": "<&>", "a": "\n\u{1}"]) == #"{"a":"\n\u0001","b":"\u003c\u0026\u003e"}"#)
    }

    @Test("Secrets hash their type; other kinds have no suffix")
    func secrets() {
        let opaque: JSONValue = ["kind": "Secret", "type": "Opaque", "data": ["a": "Yg=="]]
        let tls: JSONValue = ["kind": "Secret", "type": "kubernetes.io/tls", "data": ["a": "Yg=="]]
        #expect(ContentHash.suffix(for: opaque) != nil)
        #expect(ContentHash.suffix(for: opaque) != ContentHash.suffix(for: tls))
        #expect(ContentHash.suffix(for: ["kind": "Service"]) == nil)
    }
}
