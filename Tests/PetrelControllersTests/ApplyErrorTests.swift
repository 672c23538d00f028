import KubeClient
import KubeCore
@testable import PetrelControllers
import Testing

@Suite("Apply errors and field ownership helpers")
struct ApplyErrorTests {
    static let web = ResourceID(group: "apps", version: "v1", kind: "Deployment", namespace: "apps", name: "web")

    @Test("reasons follow Flux and messages name each object")
    func reasonsAndMessages() {
        let failure = ApplyFailure(id: Self.web, message: "Deployment/apps/web status: 'InProgress': Available: 0/2")
        #expect(ApplyError.validationFailed([failure]).reason == "ReconciliationFailed")
        #expect(ApplyError.pruneFailed([failure], deleted: []).reason == "PruneFailed")
        let timedOut = ApplyError.healthCheckTimedOut([failure], timeout: .seconds(5))
        #expect(timedOut.reason == "HealthCheckFailed")
        #expect(timedOut.message == "health check timed out after 5.0 seconds waiting for: [Deployment/apps/web status: 'InProgress': Available: 0/2]")
        #expect(timedOut.objects == [Self.web])
        #expect(ApplyError.notEstablished([Self.web]).message.contains("Deployment/apps/web"))
    }

    @Test("immutable-field errors are recognised by the server's wording; causes missing from the message are added")
    func immutableAndDescribe() {
        let immutable = KubeClientError.invalid(
            Status(reason: "Invalid", message: "Job.batch \"j\" is invalid: spec.template: Invalid value: {}: field is immutable", code: 422))
        #expect(ApplyEngine.isImmutableFieldError(immutable))
        let other = KubeClientError.invalid(Status(reason: "Invalid", message: "x is invalid", code: 422))
        #expect(!ApplyEngine.isImmutableFieldError(other))
        #expect(!ApplyEngine.isImmutableFieldError(.conflict(Status(reason: "Conflict", message: "field is immutable", code: 409))))
        var status = Status(reason: "Invalid", message: "Widget \"w\" is invalid", code: 422)
        status.causes = [Status.Cause(reason: "FieldValueTypeInvalid", message: "must be integer", field: "spec.size")]
        #expect(ApplyEngine.describe(.invalid(status)) == "Widget \"w\" is invalid (spec.size: must be integer)")
    }

    @Test("taking over kubectl's fields merges them into Petrel's Apply entry and keeps other managers")
    func takeover() {
        let live: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": [
                "name": "c",
                "managedFields": [
                    ["manager": "petrel", "operation": "Apply", "fieldsV1": ["f:data": ["f:a": [:]]]],
                    ["manager": "kubectl-edit", "operation": "Update", "time": "t", "fieldsV1": ["f:data": ["f:b": [:]]]],
                    ["manager": "helm", "operation": "Update", "fieldsV1": ["f:data": ["f:c": [:]]]],
                    ["manager": "kubectl", "operation": "Update", "subresource": "status", "fieldsV1": ["f:status": [:]]],
                ],
            ],
        ]
        let result = ApplyEngine.managedFieldsTakingOver(live, manager: "petrel")?.arrayValue ?? []
        #expect(result.compactMap { $0["manager"]?.stringValue } == ["petrel", "helm", "kubectl"])
        #expect(result.first?["fieldsV1"] == ["f:data": ["f:a": [:], "f:b": [:]]])
        var untouched = live
        untouched.set(path: ["metadata", "managedFields"], to: [["manager": "petrel", "operation": "Apply"]])
        #expect(ApplyEngine.managedFieldsTakingOver(untouched, manager: "petrel") == nil)
    }
}
