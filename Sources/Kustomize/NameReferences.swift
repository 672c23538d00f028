import KubeCore

/// Updates references to renamed objects (prefix, suffix, content hash), as kustomize's name-reference
/// transformer does: a field that names an object by one of its earlier names gets the object's final name.
package enum NameReferences {
    struct Rule: Sendable {
        var target: String
        var referrers: Set<String>?
        var paths: [String]
        /// Field specs naming their referrer kinds (rules from configurations and `crds`); used instead of
        /// `referrers` and `paths` when set.
        var specs: [FieldSpec] = []

        init(target: String, referrers: Set<String>?, paths: [String]) {
            self.target = target
            self.referrers = referrers
            self.paths = paths
        }

        init(target: String, specs: [FieldSpec]) {
            self.target = target
            self.referrers = []
            self.paths = []
            self.specs = specs
        }
    }

    static let podSpecRoots: [String: String] = [
        "Pod": "spec", "Deployment": "spec/template/spec", "ReplicaSet": "spec/template/spec",
        "DaemonSet": "spec/template/spec", "StatefulSet": "spec/template/spec", "Job": "spec/template/spec",
        "ReplicationController": "spec/template/spec", "CronJob": "spec/jobTemplate/spec/template/spec",
        "PodTemplate": "template/spec",
    ]

    static func containerPaths(_ suffix: String) -> [String] {
        ["containers[]/" + suffix, "initContainers[]/" + suffix, "ephemeralContainers[]/" + suffix]
    }

    static let podSpecRules: [Rule] = [
        Rule(
            target: "ConfigMap", referrers: nil,
            paths: ["volumes[]/configMap/name", "volumes[]/projected/sources[]/configMap/name"]
                + containerPaths("env[]/valueFrom/configMapKeyRef/name")
                + containerPaths("envFrom[]/configMapRef/name")),
        Rule(
            target: "Secret", referrers: nil,
            paths: [
                "volumes[]/secret/secretName", "volumes[]/projected/sources[]/secret/name", "imagePullSecrets[]/name",
            ]
                + containerPaths("env[]/valueFrom/secretKeyRef/name") + containerPaths("envFrom[]/secretRef/name")),
        Rule(target: "ServiceAccount", referrers: nil, paths: ["serviceAccountName", "serviceAccount"]),
        Rule(target: "PersistentVolumeClaim", referrers: nil, paths: ["volumes[]/persistentVolumeClaim/claimName"]),
        Rule(target: "PriorityClass", referrers: nil, paths: ["priorityClassName"]),
    ]

    static let otherRules: [Rule] = [
        Rule(target: "Secret", referrers: ["ServiceAccount"], paths: ["secrets[]/name", "imagePullSecrets[]/name"]),
        Rule(target: "Secret", referrers: ["Ingress"], paths: ["spec/tls[]/secretName"]),
        Rule(
            target: "Service", referrers: ["Ingress"],
            paths: [
                "spec/rules[]/http/paths[]/backend/service/name", "spec/defaultBackend/service/name",
                "spec/rules[]/http/paths[]/backend/serviceName", "spec/backend/serviceName",
            ]),
        Rule(target: "Service", referrers: ["StatefulSet"], paths: ["spec/serviceName"]),
        Rule(target: "Service", referrers: ["APIService"], paths: ["spec/service/name"]),
        Rule(target: "PersistentVolume", referrers: ["PersistentVolumeClaim"], paths: ["spec/volumeName"]),
        // The rest of kustomize's default name references. (Its rule for Ingress spec/ingressClassName names the
        // group "networking.k8s.io/v1", which matches nothing, so that field is never rewritten; nor here.)
        Rule(target: "ConfigMap", referrers: ["Role", "ClusterRole"], paths: ["rules[]/resourceNames[]"]),
        Rule(target: "Secret", referrers: ["Role", "ClusterRole"], paths: ["rules[]/resourceNames[]"]),
        Rule(target: "PersistentVolume", referrers: ["ClusterRole"], paths: ["rules[]/resourceNames[]"]),
        Rule(target: "ConfigMap", referrers: ["Node"], paths: ["spec/configSource/configMap"]),
        Rule(
            target: "ConfigMap", referrers: ["Ingress"],
            paths: [#"metadata/annotations/nginx.ingress.kubernetes.io\/fastcgi-params-configmap"#]),
        Rule(
            target: "Secret", referrers: ["Ingress"],
            paths: [
                #"metadata/annotations/ingress.kubernetes.io\/auth-secret"#,
                #"metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret"#,
                #"metadata/annotations/nginx.ingress.kubernetes.io\/auth-tls-secret"#,
            ]),
        Rule(
            target: "Secret", referrers: ["StorageClass"],
            paths: [
                "parameters/secretName", "parameters/adminSecretName", "parameters/userSecretName",
                "parameters/secretRef",
            ]),
        Rule(target: "Secret", referrers: ["PersistentVolume"], paths: ["spec/azureFile/secretName"]),
        Rule(
            target: "StorageClass", referrers: ["PersistentVolume", "PersistentVolumeClaim"],
            paths: ["spec/storageClassName"]),
        Rule(
            target: "StorageClass", referrers: ["StatefulSet"],
            paths: ["spec/volumeClaimTemplates[]/spec/storageClassName"]),
        Rule(
            target: "ValidatingAdmissionPolicy", referrers: ["ValidatingAdmissionPolicyBinding"],
            paths: ["spec/policyName"]),
    ]

    /// Rewrites every reference in `resources` to the current names of the objects they name.
    static func fix(_ resources: inout [Resource], extraRules: [Rule] = []) {
        var snapshot: [String: [String: [Resource]]] = [:]
        for resource in resources {
            for name in Set(resource.allNames) {
                snapshot[resource.kind, default: [:]][name, default: []].append(resource)
            }
        }
        for index in resources.indices {
            let referrer = resources[index]
            var object = referrer.object
            for (target, spec) in podSpecFieldSpecs[referrer.kind] ?? [] {
                rewrite(&object, spec: spec, target: target, referrer: referrer, in: snapshot)
            }
            for (target, spec) in otherFieldSpecs[referrer.kind] ?? [] {
                rewrite(&object, spec: spec, target: target, referrer: referrer, in: snapshot)
            }
            for rule in extraRules {
                for spec in rule.specs where spec.applies(to: referrer) {
                    rewrite(&object, spec: spec, target: rule.target, referrer: referrer, in: snapshot)
                }
            }
            if referrer.kind == "RoleBinding" || referrer.kind == "ClusterRoleBinding" {
                fixBinding(&object, referrer: referrer, in: snapshot)
            }
            if referrer.kind == "ValidatingWebhookConfiguration" || referrer.kind == "MutatingWebhookConfiguration" {
                fixWebhooks(&object, referrer: referrer, in: snapshot)
            }
            if referrer.kind == "HorizontalPodAutoscaler",
                let kind = object[path: ["spec", "scaleTargetRef", "kind"]]?.stringValue
            {
                rewrite(&object, path: "spec/scaleTargetRef/name", target: kind, referrer: referrer, in: snapshot)
            }
            resources[index].object = object
        }
    }

    /// The pod-spec reference fields of each workload kind, parsed once.
    static let podSpecFieldSpecs: [String: [(String, FieldSpec)]] = podSpecRoots.mapValues { root in
        podSpecRules.flatMap { rule in rule.paths.map { (rule.target, FieldSpec(root + "/" + $0)) } }
    }

    /// The other reference fields by referrer kind, parsed once (every rule here names its referrers).
    static let otherFieldSpecs: [String: [(String, FieldSpec)]] = {
        var result: [String: [(String, FieldSpec)]] = [:]
        for rule in otherRules {
            for kind in rule.referrers ?? [] {
                result[kind, default: []] += rule.paths.map { (rule.target, FieldSpec($0)) }
            }
        }
        return result
    }()

    private static func rewrite(
        _ object: inout JSONValue, path: String, target: String, referrer: Resource,
        in resources: [String: [String: [Resource]]]
    ) {
        rewrite(&object, spec: FieldSpec(path), target: target, referrer: referrer, in: resources)
    }

    private static func rewrite(
        _ object: inout JSONValue, spec: FieldSpec, target: String, referrer: Resource,
        in resources: [String: [String: [Resource]]]
    ) {
        spec.visit(&object, creating: false) { value in
            guard let current = value else { return }
            value = rewritten(current, target: target, referrer: referrer, in: resources)
        }
    }

    /// A reference field with the names it holds updated: a name, a list of names, or a map with `name` (and
    /// `namespace`), as kustomize's name-reference filter accepts.
    private static func rewritten(
        _ value: JSONValue, target: String, referrer: Resource, in resources: [String: [String: [Resource]]]
    ) -> JSONValue {
        switch value {
        case .string(let name):
            let resolved = resolve(name, kind: target, namespace: referrer.namespace, referrer: referrer, in: resources)
            return resolved.map(JSONValue.string) ?? value
        case .array(let items):
            return .array(items.map { rewritten($0, target: target, referrer: referrer, in: resources) })
        case .object(var map):
            guard let name = map["name"]?.stringValue else { return value }
            let namespace = map["namespace"]?.stringValue ?? referrer.namespace
            guard let found = candidate(name, kind: target, namespace: namespace, referrer: referrer, in: resources)
            else { return value }
            map["name"] = .string(found.name)
            if !found.namespace.isEmpty { map["namespace"] = .string(found.namespace) }
            return .object(map)
        default:
            return value
        }
    }

    private static func fixBinding(
        _ object: inout JSONValue, referrer: Resource, in resources: [String: [String: [Resource]]]
    ) {
        if let kind = object[path: ["roleRef", "kind"]]?.stringValue,
            let name = object[path: ["roleRef", "name"]]?.stringValue,
            let resolved = resolve(name, kind: kind, namespace: referrer.namespace, referrer: referrer, in: resources)
        {
            object.set(path: ["roleRef", "name"], to: .string(resolved))
        }
        guard var subjects = object["subjects"]?.arrayValue else { return }
        for index in subjects.indices where subjects[index]["kind"]?.stringValue == "ServiceAccount" {
            guard let name = subjects[index]["name"]?.stringValue else { continue }
            let namespace = subjects[index]["namespace"]?.stringValue ?? referrer.namespace
            if let account = candidate(
                name, kind: "ServiceAccount", namespace: namespace, referrer: referrer, in: resources)
            {
                subjects[index]["name"] = .string(account.name)
                if subjects[index]["namespace"] != nil || !account.namespace.isEmpty {
                    subjects[index]["namespace"] = .string(account.namespace.isEmpty ? "default" : account.namespace)
                }
            }
        }
        object["subjects"] = .array(subjects)
    }

    /// Webhook services are named with their namespace beside them; follow both.
    private static func fixWebhooks(
        _ object: inout JSONValue, referrer: Resource, in resources: [String: [String: [Resource]]]
    ) {
        guard var hooks = object["webhooks"]?.arrayValue else { return }
        for index in hooks.indices {
            guard let name = hooks[index][path: ["clientConfig", "service", "name"]]?.stringValue else { continue }
            let namespace = hooks[index][path: ["clientConfig", "service", "namespace"]]?.stringValue ?? ""
            guard
                let service = candidate(name, kind: "Service", namespace: namespace, referrer: referrer, in: resources)
            else { continue }
            var hook = hooks[index]
            hook.set(path: ["clientConfig", "service", "name"], to: .string(service.name))
            hook.set(path: ["clientConfig", "service", "namespace"], to: .string(service.namespace))
            hooks[index] = hook
        }
        object["webhooks"] = .array(hooks)
    }

    /// The current name of the `kind` object once named `name`, or `nil` to leave the field alone.
    static func resolve(
        _ name: String, kind: String, namespace: String, referrer: Resource,
        in resources: [String: [String: [Resource]]]
    )
        -> String?
    {
        guard let found = candidate(name, kind: kind, namespace: namespace, referrer: referrer, in: resources),
            found.name != name
        else { return nil }
        return found.name
    }

    /// The object of `kind` that a reference by `name` from `namespace` denotes, if it is in the build.
    static func candidate(
        _ name: String, kind: String, namespace: String, referrer: Resource,
        in resources: [String: [String: [Resource]]]
    )
        -> Resource?
    {
        let sameKind = resources[kind]?[name] ?? []
        let clusterScoped = ClusterScope.isClusterScoped(kind)
        let wanted = namespace == "default" ? "" : namespace
        // A reference denotes an object in its current namespace or in its original one (kustomize compares the
        // current and the original id, never intermediate namespaces an overlay chain gave it).
        func inScope(_ candidate: Resource) -> Bool {
            let original = candidate.previousNamespaces.first ?? candidate.namespace
            // A ClusterRole's resourceNames may name an object in any namespace.
            return clusterScoped || referrer.kind == "ClusterRole" || candidate.effectiveNamespace == wanted
                || (original == "default" ? "" : original) == wanted
        }
        if let exact = sameKind.first(where: { $0.name == name && $0.effectiveNamespace == wanted }) { return exact }
        var candidates = sameKind.filter { $0.allNames.contains(name) && inScope($0) }
        if candidates.count > 1 {
            let narrowed = candidates.filter { $0.prefixes == referrer.prefixes && $0.suffixes == referrer.suffixes }
            if !narrowed.isEmpty { candidates = narrowed }
        }
        return candidates.first
    }
}
