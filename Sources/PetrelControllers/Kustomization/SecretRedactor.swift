import Foundation
import KubeCore

/// The values of the Secrets a reconcile read for postBuild substitution, and the one place that masks them in
/// text leaving the reconcile: condition messages, Events and logs (and the CLI's errors).
///
/// Parser errors never quote the text they fail on (``Kustomize/YAMLCodec``), but a server's validation message
/// echoes the value it refuses (`Invalid value: "…"` for a label substituted from a Secret), so every message that
/// may hold a substituted value passes through ``redact(_:)-(String)``.
///
/// ## Guarantees
/// - Each Secret value of at least ``minimumLength`` characters is replaced by `***`, as written and in the forms
///   substitution can derive (`${v^^}`, `${v,,}`, `${v^}`, `${v,}`) and the forms a server or a serialiser
///   escapes it to (JSON string escapes), longest first.
///
/// ## Caveats
/// - Shorter values are not masked (masking `on` or `1` would mangle every message); keep secrets long.
/// - A Secret value substituted into an object's name is that object's name: it shows wherever the object does
///   (inventory, change-set Events), as the object itself does in the cluster.
package struct SecretRedactor: Sendable, Equatable {
    /// The shortest value that is masked.
    package static let minimumLength = 4
    /// What replaces a value.
    package static let mask = "***"

    private var needles: [String] = []

    /// A redactor that masks nothing.
    package init() {}

    /// A redactor masking `values` (shorter ones are ignored).
    package init(values: some Sequence<String>) {
        var forms = Set<String>()
        for value in values where value.count >= Self.minimumLength {
            let escaped = String(JSONSerializer.string(.string(value)).dropFirst().dropLast())
            let first = value.prefix(1)
            let rest = value.dropFirst()
            for form in [
                value, value.uppercased(), value.lowercased(), first.uppercased() + rest, first.lowercased() + rest,
                escaped,
            ] where form.count >= Self.minimumLength {
                forms.insert(form)
            }
        }
        needles = forms.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// Whether nothing is masked.
    package var isEmpty: Bool { needles.isEmpty }

    /// `text` with every masked value replaced by ``mask``.
    package func redact(_ text: String) -> String {
        guard !needles.isEmpty else { return text }
        var result = text
        for needle in needles where result.contains(needle) {
            result = result.replacingOccurrences(of: needle, with: Self.mask)
        }
        return result
    }

    /// `error` with its message redacted.
    package func redact(_ error: KustomizationError) -> KustomizationError {
        switch error {
        case .artifactFailed(let detail): .artifactFailed(redact(detail))
        case .buildFailed(let detail): .buildFailed(redact(detail))
        case .reconciliationFailed(let detail): .reconciliationFailed(redact(detail))
        case .pruneFailed(let detail): .pruneFailed(redact(detail))
        case .healthCheckFailed(let detail): .healthCheckFailed(redact(detail))
        case .dependencyNotReady(let detail): .dependencyNotReady(redact(detail))
        case .accessDenied(let detail): .accessDenied(redact(detail))
        }
    }
}
