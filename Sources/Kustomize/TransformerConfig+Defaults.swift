/// kustomize v5.5's default field specs (its built-in transformer configuration), as data.
extension TransformerConfig {
    static let defaults: TransformerConfig = {
        var config = TransformerConfig()
        config.namePrefix = [FieldSpec("metadata/name")]
        config.nameSuffix = [FieldSpec("metadata/name")]
        config.namespace = [
            FieldSpec("metadata/name", kind: "Namespace", create: true),
            FieldSpec("spec/service/namespace", kind: "APIService", group: "apiregistration.k8s.io", create: true),
            FieldSpec(
                "spec/conversion/webhook/clientConfig/service/namespace", kind: "CustomResourceDefinition",
                group: "apiextensions.k8s.io"),
        ]
        config.commonLabels = selectorLabels + metadataLabels
        config.templateLabels = metadataLabels
        config.commonAnnotations = annotations
        config.varReference = varReference
        config.images = ["spec/containers[]/image", "spec/initContainers[]/image",
            "spec/template/spec/containers[]/image", "spec/template/spec/initContainers[]/image",
        ].map { FieldSpec($0, create: true) }
        config.replicas = ["Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"].map {
            FieldSpec("spec/replicas", kind: $0, create: true)
        }
        return config
    }()

    private static let affinityPaths = [
        "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
    ]

    /// Selector fields of `commonLabels` (and of `labels` with `includeSelectors`).
    private static let selectorLabels: [FieldSpec] =
        [
            FieldSpec("spec/selector", kind: "Service", version: "v1", create: true),
            FieldSpec("spec/selector", kind: "ReplicationController", version: "v1", create: true),
            FieldSpec("spec/selector/matchLabels", kind: "Deployment", create: true),
        ] + affinityPaths.map { FieldSpec($0, kind: "Deployment", group: "apps") } + [
            FieldSpec("spec/selector/matchLabels", kind: "ReplicaSet", create: true),
            FieldSpec("spec/selector/matchLabels", kind: "DaemonSet", create: true),
            FieldSpec("spec/selector/matchLabels", kind: "StatefulSet", group: "apps", create: true),
        ] + affinityPaths.map { FieldSpec($0, kind: "StatefulSet", group: "apps") } + [
            FieldSpec("spec/selector/matchLabels", kind: "Job", group: "batch"),
            FieldSpec("spec/jobTemplate/spec/selector/matchLabels", kind: "CronJob", group: "batch"),
            FieldSpec("spec/selector/matchLabels", kind: "PodDisruptionBudget", group: "policy"),
            FieldSpec("spec/podSelector/matchLabels", kind: "NetworkPolicy", group: "networking.k8s.io"),
            FieldSpec("spec/ingress/from/podSelector/matchLabels", kind: "NetworkPolicy", group: "networking.k8s.io"),
            FieldSpec("spec/egress/to/podSelector/matchLabels", kind: "NetworkPolicy", group: "networking.k8s.io"),
        ]

    /// Object labels and pod-template labels.
    private static let metadataLabels: [FieldSpec] = [
        FieldSpec("metadata/labels", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "ReplicationController", version: "v1", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "Deployment", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "ReplicaSet", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "DaemonSet", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "StatefulSet", group: "apps", create: true),
        FieldSpec("spec/volumeClaimTemplates[]/metadata/labels", kind: "StatefulSet", group: "apps", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "Job", group: "batch", create: true),
        FieldSpec("spec/jobTemplate/metadata/labels", kind: "CronJob", group: "batch", create: true),
        FieldSpec("spec/jobTemplate/spec/template/metadata/labels", kind: "CronJob", group: "batch", create: true),
    ]

    private static let annotations: [FieldSpec] = [
        FieldSpec("metadata/annotations", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "ReplicationController", version: "v1", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "Deployment", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "ReplicaSet", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "DaemonSet", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "StatefulSet", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "Job", group: "batch", create: true),
        FieldSpec("spec/jobTemplate/metadata/annotations", kind: "CronJob", group: "batch", create: true),
        FieldSpec("spec/jobTemplate/spec/template/metadata/annotations", kind: "CronJob", group: "batch", create: true),
    ]

    /// Fields where `$(VAR)` is replaced by a var's value.
    private static let varReference: [FieldSpec] = {
        let containerFields = [
            "containers/args", "containers/command", "containers/env/value", "containers/volumeMounts/mountPath",
            "initContainers/args", "initContainers/command", "initContainers/env/value",
            "initContainers/volumeMounts/mountPath",
        ]
        func pod(_ kind: String, _ root: String, nfs: String) -> [FieldSpec] {
            containerFields.map { FieldSpec(root + $0, kind: kind) } + [FieldSpec(nfs, kind: kind)]
        }
        var specs: [FieldSpec] = []
        specs += pod("CronJob", "spec/jobTemplate/spec/template/spec/", nfs: "spec/jobTemplate/spec/template/volumes/nfs/server")
        specs += pod("DaemonSet", "spec/template/spec/", nfs: "spec/template/spec/volumes/nfs/server")
        specs += pod("Deployment", "spec/template/spec/", nfs: "spec/template/spec/volumes/nfs/server")
        specs.append(FieldSpec("spec/template/metadata/annotations", kind: "Deployment"))
        specs += ["spec/rules/host", "spec/tls/hosts", "spec/tls/secretName"].map { FieldSpec($0, kind: "Ingress") }
        specs += pod("Job", "spec/template/spec/", nfs: "spec/template/spec/volumes/nfs/server")
        specs += pod("Pod", "spec/", nfs: "spec/volumes/nfs/server")
        specs += pod("ReplicaSet", "spec/template/spec/", nfs: "spec/template/spec/volumes/nfs/server")
        specs += ["spec/ports/port", "spec/ports/targetPort"].map { FieldSpec($0, kind: "Service") }
        specs += pod("StatefulSet", "spec/template/spec/", nfs: "spec/volumeClaimTemplates/spec/nfs/server")
        specs.append(FieldSpec("spec/nfs/server", kind: "PersistentVolume"))
        specs += [FieldSpec("metadata/labels"), FieldSpec("metadata/annotations")]
        return specs
    }()
}
