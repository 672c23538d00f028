import ArgumentParser
import Foundation
import Kustomize

/// `petrel build kustomization NAME --path DIR`: what the controller would apply for Kustomization NAME if its
/// source held DIR, as `flux build kustomization` prints it.
struct BuildKustomizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kustomization",
        abstract: "Build a local directory with the overrides of a Kustomization read from the cluster.",
        discussion: """
            DIR is built as the Kustomization's path would be: its targetNamespace, namePrefix, nameSuffix, \\
            patches, images, components and commonMetadata applied, postBuild variables substituted from \\
            `substitute` and from the ConfigMaps and Secrets of `substituteFrom` (read from the cluster), and the \\
            kustomize.petrel.dev/name and /namespace labels set. Nothing is written to the cluster.
            Exit codes: 0 success, 1 the build failed, 2 usage error, 3 not found or cluster unreachable.
            """,
        aliases: ["kustomizations", "ks"])

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The Kustomization's name.") var name: String
    @Option(help: "The local directory to build in place of the Kustomization's spec.path.", completion: .directory)
    var path: String

    func run() async throws {
        let text = try await cluster.withSession { session in
            let build = try await KustomizationBuild.run(
                session, name: name, namespace: session.namespace, directory: path)
            return KustomizeBuilder().render(build.objects)
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
