import PetrelAPI
import Testing

@Suite("Condition helpers")
struct ConditionTests {
    let t0 = Time(secondsSince1970: 1_700_000_000)
    let t1 = Time(secondsSince1970: 1_700_000_100)
    let t2 = Time(secondsSince1970: 1_700_000_200)

    @Test("setting a new condition appends it with the given time")
    func appends() {
        var conditions: [Condition] = []
        let changed1 = conditions.set(
            type: ConditionType.ready, status: .unknown, reason: ConditionReason.progressing,
            message: "Reconciliation in progress", observedGeneration: 1, now: t0)
        #expect(changed1)
        #expect(
            conditions == [
                Condition(
                    type: "Ready", status: .unknown, observedGeneration: 1, lastTransitionTime: t0,
                    reason: "Progressing", message: "Reconciliation in progress")
            ])
        #expect(conditions.isUnknown(ConditionType.ready))
        #expect(conditions.isUnknown(ConditionType.healthy))
        #expect(!conditions.isTrue(ConditionType.ready))
    }

    @Test("lastTransitionTime changes only when the status changes")
    func transitionTime() {
        var conditions: [Condition] = []
        conditions.set(
            type: "Ready", status: .false, reason: "BuildFailed", message: "a", observedGeneration: 1, now: t0)
        let changed2 = conditions.set(
            type: "Ready", status: .false, reason: "HealthCheckFailed", message: "b", observedGeneration: 2, now: t1)
        #expect(changed2)
        #expect(conditions.find("Ready")?.lastTransitionTime == t0)
        #expect(conditions.find("Ready")?.reason == "HealthCheckFailed")
        #expect(conditions.find("Ready")?.message == "b")
        #expect(conditions.find("Ready")?.observedGeneration == 2)
        let changed3 = conditions.set(
            type: "Ready", status: .true, reason: "ReconciliationSucceeded", message: "c", observedGeneration: 2,
            now: t2)
        #expect(changed3)
        #expect(conditions.find("Ready")?.lastTransitionTime == t2)
        #expect(conditions.isTrue("Ready"))
        #expect(conditions.count == 1)
    }

    @Test("setting an identical condition reports no change")
    func noChange() {
        var conditions: [Condition] = []
        conditions.set(type: "Healthy", status: .true, reason: "Succeeded", message: "ok", now: t0)
        let before = conditions
        let changed4 = conditions.set(type: "Healthy", status: .true, reason: "Succeeded", message: "ok", now: t1)
        #expect(!changed4)
        #expect(conditions == before)
        let changed5 = conditions.set(
            Condition(type: "Healthy", status: .true, lastTransitionTime: t2, reason: "Succeeded", message: "ok"))
        #expect(!changed5)
        #expect(conditions.find("Healthy")?.lastTransitionTime == t0)
    }

    @Test("other conditions keep their place and removal reports presence")
    func orderAndRemoval() {
        var conditions: [Condition] = []
        conditions.set(type: "Reconciling", status: .true, reason: "Progressing", message: "", now: t0)
        conditions.set(type: "Ready", status: .unknown, reason: "Progressing", message: "", now: t0)
        conditions.set(type: "Reconciling", status: .true, reason: "ProgressingWithRetry", message: "", now: t1)
        #expect(conditions.map(\.type) == ["Reconciling", "Ready"])
        let changed6 = conditions.remove("Reconciling")
        #expect(changed6)
        let changed7 = conditions.remove("Reconciling")
        #expect(!changed7)
        #expect(conditions.map(\.type) == ["Ready"])
        #expect(conditions.isFalse("Ready") == false)
    }

    @Test("conditions encode with the metav1.Condition field names and status strings")
    func encoding() throws {
        let condition = Condition(
            type: "Ready", status: .true, observedGeneration: 4, lastTransitionTime: t0, reason: "Succeeded",
            message: "done")
        let json = try JSONValueCoding.encode(condition)
        #expect(
            json == [
                "type": "Ready", "status": "True", "observedGeneration": 4,
                "lastTransitionTime": "2023-11-14T22:13:20Z", "reason": "Succeeded", "message": "done",
            ])
        #expect(try JSONValueCoding.decode(Condition.self, from: json) == condition)
    }
}

@Suite("Reconcilable objects")
struct ReconcilableObjectTests {
    @Test("Ready counts only for the current generation, and requested reconciles are pending until handled")
    func readinessAndRequests() throws {
        var repository = try GitRepository(json: try TestFiles.json(fromYAML: Fixtures.fullGitRepository))
        #expect(repository.isReady)
        #expect(!repository.isSuspended)
        #expect(repository.interval == .seconds(90))
        #expect(repository.reconcileRequestedAt == "2024-05-01T12:00:00.123456789Z")
        #expect(!repository.hasPendingReconcileRequest)
        repository.metadata.annotations?[WellKnown.reconcileRequestedAtAnnotation] = "later"
        #expect(repository.hasPendingReconcileRequest)
        repository.lastHandledReconcileAt = "later"
        #expect(!repository.hasPendingReconcileRequest)
        #expect(repository.status.lastHandledReconcileAt == "later")
        repository.metadata.generation = 4
        #expect(!repository.isReady)
        repository.observedGeneration = 4
        #expect(repository.isReady)
        repository.conditions.set(type: ConditionType.ready, status: .false, reason: "GitOperationFailed", message: "x")
        #expect(!repository.isReady)
        #expect(repository.status.conditions.isFalse(ConditionType.ready))
    }

    @Test("a Kustomization with Ready=False is not ready and suspend reads through")
    func kustomization() throws {
        var kustomization = try Kustomization(json: try TestFiles.json(fromYAML: Fixtures.fullKustomization))
        #expect(kustomization.isStatusCurrent)
        #expect(!kustomization.isReady)
        kustomization.spec.suspend = true
        #expect(kustomization.isSuspended)
        #expect(kustomization.interval == .minutes(10))
    }
}
