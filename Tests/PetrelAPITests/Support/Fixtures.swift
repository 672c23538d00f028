import KubeCore

/// Objects with every field set, as the API server would return them.
enum Fixtures {
    /// Every path in `json`, written as the CRD walker writes them (`a.b[].c`).
    static func leafAndObjectPaths(_ json: JSONValue, prefix: String = "") -> Set<String> {
        var paths: Set<String> = []
        switch json {
        case .object(let object):
            for (key, value) in object {
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                paths.insert(path)
                paths.formUnion(leafAndObjectPaths(value, prefix: path))
            }
        case .array(let array):
            for element in array {
                paths.insert("\(prefix)[]")
                paths.formUnion(leafAndObjectPaths(element, prefix: "\(prefix)[]"))
            }
        default:
            break
        }
        return paths
    }

    static let fullGitRepository = """
        apiVersion: source.petrel.dev/v1
        kind: GitRepository
        metadata:
          name: podinfo
          namespace: apps
          uid: 6b1f3c9e-0d7a-4c1e-9a43-3f2b8f7c1d20
          resourceVersion: "4711"
          generation: 3
          creationTimestamp: "2024-05-01T10:00:00Z"
          labels:
            team: web
          annotations:
            reconcile.petrel.dev/requestedAt: "2024-05-01T12:00:00.123456789Z"
          finalizers:
            - finalizers.petrel.dev
          managedFields:
            - manager: petrel
              operation: Apply
              apiVersion: source.petrel.dev/v1
              time: "2024-05-01T10:00:00Z"
              fieldsType: FieldsV1
              fieldsV1:
                f:spec:
                  f:url: {}
        spec:
          url: ssh://git@github.com/stefanprodan/podinfo.git
          secretRef:
            name: podinfo-auth
          proxySecretRef:
            name: corporate-proxy
          interval: 1m30s
          timeout: 2m
          ref:
            branch: master
            tag: 6.7.0
            semver: ">=6.0.0 <7.0.0"
            name: refs/heads/master
            commit: 0b5e8a3d2c4f6e8a0b1c2d3e4f5a6b7c8d9e0f1a
          ignore: |
            /*
            !/kustomize
          suspend: false
          recurseSubmodules: true
        status:
          observedGeneration: 3
          conditions:
            - type: Ready
              status: "True"
              observedGeneration: 3
              lastTransitionTime: "2024-05-01T10:00:05Z"
              reason: Succeeded
              message: "stored artifact for revision 'master@sha1:0b5e8a3d2c4f6e8a0b1c2d3e4f5a6b7c8d9e0f1a'"
            - type: ArtifactInStorage
              status: "True"
              observedGeneration: 3
              lastTransitionTime: "2024-05-01T10:00:05Z"
              reason: Succeeded
              message: ""
          artifact:
            path: gitrepository/apps/podinfo/0b5e8a3d2c4f6e8a0b1c2d3e4f5a6b7c8d9e0f1a.tar.gz
            url: http://petrel.petrel-system.svc/gitrepository/apps/podinfo/0b5e8a3d2c4f6e8a0b1c2d3e4f5a6b7c8d9e0f1a.tar.gz
            revision: master@sha1:0b5e8a3d2c4f6e8a0b1c2d3e4f5a6b7c8d9e0f1a
            digest: sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
            lastUpdateTime: "2024-05-01T10:00:05Z"
            size: 1234
            metadata:
              commitSubject: Release 6.7.0
          lastHandledReconcileAt: "2024-05-01T12:00:00.123456789Z"
          observedIgnore: |
            /*
            !/kustomize
          observedRecurseSubmodules: true
        """

    static let fullKustomization = """
        apiVersion: kustomize.petrel.dev/v1
        kind: Kustomization
        metadata:
          name: podinfo
          namespace: apps
          generation: 2
          creationTimestamp: "2024-05-01T10:00:00Z"
          deletionTimestamp: "2024-05-02T10:00:00Z"
          deletionGracePeriodSeconds: 0
          ownerReferences:
            - apiVersion: v1
              kind: Namespace
              name: apps
              uid: 11111111-2222-3333-4444-555555555555
              controller: false
              blockOwnerDeletion: true
        spec:
          sourceRef:
            apiVersion: source.petrel.dev/v1
            kind: GitRepository
            name: podinfo
            namespace: sources
          path: ./kustomize
          interval: 10m
          retryInterval: 2m
          timeout: 3m
          prune: true
          wait: false
          healthChecks:
            - apiVersion: apps/v1
              kind: Deployment
              name: podinfo
              namespace: apps
          dependsOn:
            - name: infra
              namespace: infra-system
          targetNamespace: apps
          namePrefix: pre-
          nameSuffix: -suf
          patches:
            - patch: |
                - op: replace
                  path: /spec/replicas
                  value: 3
              target:
                group: apps
                version: v1
                kind: Deployment
                name: podinfo
                namespace: apps
                labelSelector: app=podinfo
                annotationSelector: team=web
          images:
            - name: ghcr.io/stefanprodan/podinfo
              newName: registry.example.com/podinfo
              newTag: 6.7.0
              digest: sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
          components:
            - ../components/ingress
          commonMetadata:
            labels:
              env: prod
            annotations:
              owner: web-team
          postBuild:
            substitute:
              cluster_env: prod
            substituteFrom:
              - kind: ConfigMap
                name: cluster-vars
                optional: true
              - kind: Secret
                name: cluster-secrets
          force: false
          suspend: false
          serviceAccountName: podinfo-deployer
          deletionPolicy: WaitForTermination
        status:
          observedGeneration: 2
          conditions:
            - type: Ready
              status: "False"
              observedGeneration: 2
              lastTransitionTime: "2024-05-01T10:05:00Z"
              reason: HealthCheckFailed
              message: "health check failed after 3m0s: timeout waiting for: [Deployment/apps/podinfo status: 'InProgress']"
          inventory:
            entries:
              - id: apps_podinfo__Service
                v: v1
              - id: apps_podinfo_apps_Deployment
                v: v1
          lastAppliedRevision: master@sha1:0b5e8a3d2c4f6e8a0b1c2d3e4f5a6b7c8d9e0f1a
          lastAttemptedRevision: master@sha1:1c6f9b4e3d5a7f9b1c2d3e4f5a6b7c8d9e0f1a2b
          lastHandledReconcileAt: "1714557600"
        """
}
