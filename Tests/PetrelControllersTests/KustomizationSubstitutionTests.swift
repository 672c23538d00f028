import Foundation
import KubeCore
import PetrelAPI
import Testing

@testable import PetrelControllers

@Suite("postBuild substitution follows Flux's envsubst rules")
struct KustomizationSubstitutionTests {
    @Test(
        "text forms",
        arguments: [
            ("image: web:${tag}", "image: web:v2"),
            ("a: ${missing:=fallback}", "a: fallback"),
            ("a: ${missing:-fallback}", "a: fallback"),
            ("a: ${empty:-fallback}", "a: fallback"),
            ("a: ${empty-fallback}", "a: "),
            ("a: ${missing-x${tag}y}", "a: xv2y"),
            ("a: ${tag:-unused}", "a: v2"),
            ("a: $${tag}", "a: ${tag}"),
            ("a: $tag and $$ and $", "a: $tag and $ and $"),
            ("a: ${#tag}", "a: 2"),
            ("a: ${name^^} ${name^} ${upper,,} ${upper,}", "a: WEB-APP Web-app shout sHOUT"),
            ("no variables here", "no variables here"),
        ])
    func forms(input: String, expected: String) throws {
        let variables = ["tag": "v2", "empty": "", "name": "web-app", "upper": "SHOUT"]
        #expect(try Substitution.substitute(input, variables: variables) == expected)
    }

    @Test(
        "strict mode and malformed expressions fail with the variable named",
        arguments: [
            ("a: ${missing}", "variable 'missing' not set (strict mode)"),
            ("a: ${1abc}", "invalid variable name"),
            ("a: ${tag", "unsupported or unterminated"),
            ("a: ${tag:+x}", "unsupported or unterminated"),
        ])
    func failures(input: String, fragment: String) {
        let error = #expect(throws: Substitution.Failure.self) {
            try Substitution.substitute(input, variables: ["tag": "v"])
        }
        #expect(error?.detail.contains(fragment) == true, "\(String(describing: error))")
    }

    @Test("objects are substituted as YAML and reparsed, so numbers become numbers; opt-outs are kept")
    func objects() throws {
        let deployment = try JSONParser.parse(
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web-${env}","namespace":"apps"},"spec":{"replicas":"${replicas}","template":{"spec":{"containers":[{"name":"c","image":"nginx:${tag:=1.27}"}]}}}}"#
        )
        let optedOut = try JSONParser.parse(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"script","annotations":{"kustomize.petrel.dev/substitute":"disabled"}},"data":{"run.sh":"echo ${HOME}"}}"#
        )
        let labelledOut = try JSONParser.parse(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other","labels":{"kustomize.petrel.dev/substitute":"disabled"}},"data":{"x":"${undefined}"}}"#
        )
        let result = try Substitution.apply(
            to: [deployment, optedOut, labelledOut], variables: ["env": "prod", "replicas": "3\n"])
        #expect(result[0][path: ["metadata", "name"]] == "web-prod")
        #expect(result[0][path: ["spec", "replicas"]] == .integer(3))
        #expect(
            result[0][path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["image"] == "nginx:1.27")
        #expect(result[1] == optedOut)
        #expect(result[2] == labelledOut)
    }

    @Test("no variables means no substitution at all (Flux's WithVariables strategy)")
    func noVariables() throws {
        let object = try JSONParser.parse(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"x":"${y}"}}"#)
        #expect(try Substitution.apply(to: [object], variables: [:]) == [object])
    }

    @Test("an undefined variable fails the build naming the object; an invalid name is refused")
    func objectErrors() throws {
        let object = try JSONParser.parse(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns"},"data":{"x":"${nope}"}}"#)
        let undefined = #expect(throws: KustomizationError.self) {
            try Substitution.apply(to: [object], variables: ["other": "1"])
        }
        #expect(undefined?.reason == "BuildFailed")
        #expect(undefined?.message.contains("ConfigMap/ns/a") == true)
        #expect(undefined?.message.contains("'nope'") == true)
        let badName = #expect(throws: KustomizationError.self) {
            try Substitution.apply(to: [object], variables: ["my-var": "1"])
        }
        #expect(badName?.message.contains("'my-var' var name is invalid") == true)
    }

    @Test("variables: substituteFrom in order, Secrets base64-decoded, optional tolerated, inline substitute wins")
    func variables() async throws {
        let objects: [String: JSONValue] = [
            "ConfigMap/vars": ["data": ["a": "from-cm", "b": "from-cm", "c": "from-cm"]],
            "Secret/creds": [
                "data": [
                    "b": .string(Data("from-secret".utf8).base64EncodedString()),
                    "pw": .string(Data("s3cret".utf8).base64EncodedString()),
                ]
            ],
        ]
        let postBuild = PostBuild(
            substitute: ["c": "inline"],
            substituteFrom: [
                SubstituteReference(kind: .configMap, name: "vars"),
                SubstituteReference(kind: .secret, name: "creds"),
                SubstituteReference(kind: .configMap, name: "absent", optional: true),
            ])
        let variables = try await SubstitutionVariables.resolve(postBuild) { kind, name in
            objects["\(kind.rawValue)/\(name)"]
        }
        #expect(variables == ["a": "from-cm", "b": "from-secret", "c": "inline", "pw": "s3cret"])

        let required = PostBuild(substituteFrom: [SubstituteReference(kind: .secret, name: "absent")])
        let error = await #expect(throws: KustomizationError.self) {
            _ = try await SubstitutionVariables.resolve(required) { _, _ in nil }
        }
        #expect(error?.message.contains("Secret/absent") == true)
    }
}

@Suite("Secret values stay out of substitution errors")
struct SubstitutionSecretTests {
    static let secret = "Zq9SecretValue"

    @Test(
        "invalid YAML after substitution is reported by position only",
        arguments: [
            (#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"${PW}":"a","${PW:=x}":"b"}}"#, "duplicate key"),
            (#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"${FLOW}"}}"#, "line"),
        ])
    func positionOnly(json: String, fragment: String) throws {
        let object = try JSONParser.parse(json)
        // FLOW breaks the quoting of the value it is substituted into.
        let variables = ["PW": Self.secret, "FLOW": "\"\n  [\(Self.secret)"]
        let error = #expect(throws: KustomizationError.self) {
            try Substitution.apply(to: [object], variables: variables)
        }
        let message = error?.message ?? ""
        #expect(message.contains(fragment), "\(message)")
        #expect(!message.contains(Self.secret), "\(message)")
    }

    @Test("the redactor masks Secret values and the forms substitution and escaping derive from them")
    func redactor() {
        let redactor = SecretRedactor(values: [Self.secret, "on", "pa\"ss\\word"])
        let text = "a \(Self.secret) b \(Self.secret.uppercased()) c \(Self.secret.lowercased()) d on e pa\\\"ss\\\\word"
        #expect(redactor.redact(text) == "a *** b *** c *** d on e ***")
        #expect(SecretRedactor().redact(text) == text)
        #expect(redactor.redact(.reconciliationFailed("x \(Self.secret)")) == .reconciliationFailed("x ***"))
    }
}
