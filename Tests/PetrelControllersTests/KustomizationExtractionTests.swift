import Foundation
import GitSource
import KubeCore
import PetrelAPI
import PetrelTesting
import Testing

/// Archives crafted with Python's `tarfile` (a real, independent tar writer), then extracted by ``TarGzExtractor``.
@Suite("Artifact extraction refuses unsafe archives")
struct KustomizationExtractionTests {
    /// A scratch folder with an archive written by a Python snippet that has `t`, an open `tarfile`, and helpers
    /// `add(name, data)`, `info(name, type)`.
    struct Scratch {
        let folder: URL
        var archive: URL { folder.appendingPathComponent("a.tar.gz") }
        var destination: URL { folder.appendingPathComponent("out") }

        init(_ body: String) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("ks-extract-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let script = """
                import io, sys, tarfile
                t = tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT)
                def add(name, data=b"x", mode=0o644):
                    i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode
                    t.addfile(i, io.BytesIO(data))
                def info(name, type, link=""):
                    i = tarfile.TarInfo(name); i.type = type; i.linkname = link
                    t.addfile(i)
                \(body)
                t.close()
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script, archive.path]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }

        func extract(_ limits: ExtractionLimits = ExtractionLimits()) throws(TarGzExtractionError) -> ExtractionSummary
        {
            try TarGzExtractor.extract(archive: archive, into: destination, limits: limits)
        }

        func read(_ path: String) -> String? {
            try? String(contentsOf: destination.appendingPathComponent(path), encoding: .utf8)
        }
    }

    @Test("a normal archive is extracted with its folders, files, exec bits and long names")
    func normal() throws {
        let longName = "deep/" + String(repeating: "n", count: 150) + "/file.yaml"
        let scratch = try Scratch(
            """
            info("apps", tarfile.DIRTYPE)
            add("apps/web.yaml", b"kind: Deployment\\n")
            add("./apps/run.sh", b"#!/bin/sh\\n", mode=0o755)
            add("\(longName)", b"long")
            """)
        defer { scratch.remove() }
        let summary = try scratch.extract()
        #expect(summary.entries == 4)
        #expect(scratch.read("apps/web.yaml") == "kind: Deployment\n")
        #expect(scratch.read(longName) == "long")
        let mode =
            try FileManager.default.attributesOfItem(
                atPath: scratch.destination.appendingPathComponent("apps/run.sh").path)[.posixPermissions] as? Int
        #expect(mode == 0o755)
    }

    @Test("an archive written by TarGzArchiver round-trips")
    func roundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ks-rt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tree = folder.appendingPathComponent("tree")
        try FileManager.default.createDirectory(
            at: tree.appendingPathComponent("base/nested"), withIntermediateDirectories: true)
        try "a: 1\n".write(to: tree.appendingPathComponent("base/one.yaml"), atomically: true, encoding: .utf8)
        let big = String(repeating: "0123456789abcdef", count: 20_000)
        try big.write(to: tree.appendingPathComponent("base/nested/big.txt"), atomically: true, encoding: .utf8)
        let archive = folder.appendingPathComponent("a.tar.gz")
        try TarGzArchiver.archive(directory: tree, to: archive)
        let out = folder.appendingPathComponent("out")
        let summary = try TarGzExtractor.extract(archive: archive, into: out)
        #expect(summary.bytes == 5 + big.utf8.count)
        #expect(try String(contentsOf: out.appendingPathComponent("base/nested/big.txt"), encoding: .utf8) == big)
    }

    @Test(
        "unsafe entries are refused with an error naming the entry, and nothing is left behind",
        arguments: [
            (#"add("/etc/evil", b"x")"#, "/etc/evil", "UnsafeArchivePath"),
            (#"add("ok/../../evil", b"x")"#, "ok/../../evil", "UnsafeArchivePath"),
            (#"info("link", tarfile.SYMTYPE, "../../etc/passwd")"#, "link", "UnsupportedArchiveEntry"),
            (#"info("abs", tarfile.SYMTYPE, "/etc/passwd")"#, "abs", "UnsupportedArchiveEntry"),
            (#"info("near", tarfile.SYMTYPE, "fine.yaml")"#, "near", "UnsupportedArchiveEntry"),
            (#"info("hard", tarfile.LNKTYPE, "/etc/passwd")"#, "hard", "UnsupportedArchiveEntry"),
            (#"info("hard", tarfile.LNKTYPE, "fine.yaml")"#, "hard", "UnsupportedArchiveEntry"),
            (#"info("pipe", tarfile.FIFOTYPE)"#, "pipe", "UnsupportedArchiveEntry"),
            (#"info("dev", tarfile.CHRTYPE)"#, "dev", "UnsupportedArchiveEntry"),
            (#"info("blk", tarfile.BLKTYPE)"#, "blk", "UnsupportedArchiveEntry"),
            (
                "info(\"self\", tarfile.SYMTYPE, \".\")\n"
                    + "info(\"self/up\", tarfile.SYMTYPE, \"../x\")", "self", "UnsupportedArchiveEntry"
            ),
        ])
    func refused(snippet: String, entry: String, reason: String) throws {
        let scratch = try Scratch("add(\"fine.yaml\", b\"ok\")\n" + snippet)
        defer { scratch.remove() }
        let error = #expect(throws: TarGzExtractionError.self) { try scratch.extract() }
        #expect(error?.reason == reason)
        #expect(error?.message.contains("'\(entry)'") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: scratch.destination.path))
        #expect(
            !FileManager.default.fileExists(
                atPath: scratch.folder.deletingLastPathComponent().appendingPathComponent("evil").path))
    }

    @Test("the entry count and the uncompressed size are bounded")
    func limits() throws {
        let scratch = try Scratch(
            """
            for i in range(20):
                add("f%02d.yaml" % i, b"y" * 1000)
            """)
        defer { scratch.remove() }
        let tooMany = #expect(throws: TarGzExtractionError.self) {
            try scratch.extract(ExtractionLimits(maxEntries: 10))
        }
        #expect(tooMany?.reason == "ArchiveLimitExceeded")
        #expect(tooMany?.message.contains("'f10.yaml'") == true)
        let tooBig = #expect(throws: TarGzExtractionError.self) {
            try scratch.extract(ExtractionLimits(maxTotalBytes: 5_500))
        }
        #expect(tooBig?.reason == "ArchiveLimitExceeded")
        #expect(tooBig?.message.contains("'f05.yaml'") == true)
        #expect(try scratch.extract(ExtractionLimits(maxEntries: 20, maxTotalBytes: 20_000)).bytes == 20_000)
    }

    @Test("truncated and non-gzip files are reported as corrupt")
    func corrupt() throws {
        let scratch = try Scratch(#"add("a.yaml", b"z" * 100000)"#)
        defer { scratch.remove() }
        let bytes = try Data(contentsOf: scratch.archive)
        try bytes.prefix(bytes.count / 2).write(to: scratch.archive)
        let truncated = #expect(throws: TarGzExtractionError.self) { try scratch.extract() }
        #expect(truncated?.reason == "CorruptArchive")
        try Data("this is not gzip".utf8).write(to: scratch.archive)
        let garbage = #expect(throws: TarGzExtractionError.self) { try scratch.extract() }
        #expect(garbage?.reason == "CorruptArchive")
    }

    @Test("a served artifact with crafted PAX records or a link chain fails the Kustomization with ArtifactFailed")
    func hostileArtifactOverHTTP() async throws {
        try await KustomizationHarness.run { h in
            var badLength = TarFixture()
            badLength.pax([Array("1 a=b\n".utf8)])
            badLength.file("deploy/a.yaml", KustomizationHarness.configMapYAML("a", ["v": "1"]))
            badLength.end()
            var sizeOverflow = TarFixture()
            sizeOverflow.pax([TarFixture.paxRecord("size", "9223372036854775807")])
            sizeOverflow.header(name: "deploy/", type: "5")
            sizeOverflow.end()
            var chain = TarFixture()
            chain.header(name: "deploy/b", type: "2", linkName: "..")
            chain.header(name: "deploy/c", type: "2", linkName: "b/../..")
            chain.header(name: "deploy/c/evil/x", type: "2", linkName: "y")
            chain.end()
            let cases = [
                ("bad-length", badLength, "invalid length"), ("size-overflow", sizeOverflow, "over the"),
                ("chain", chain, "symbolic link entries are never extracted"),
            ]
            for (index, (name, tar, fragment)) in cases.enumerated() {
                let bytes = tar.gzip()
                try Data(bytes).write(to: h.served.appendingPathComponent("\(name).tar.gz"))
                var digester = ArtifactDigester()
                bytes.withUnsafeBytes { digester.update($0) }
                let artifact = Artifact(
                    path: "\(name).tar.gz", url: "\(h.baseURL)/\(name).tar.gz",
                    revision: KustomizationHarness.revision(Character("\(index + 1)")), digest: digester.finalize(),
                    lastUpdateTime: .now(), size: Int64(bytes.count))
                try await h.setSource(name, artifact: artifact)
                try await h.createKustomization(name, source: name)
                try await h.waitForReady(name, status: .false, reason: "ArtifactFailed", messageContains: fragment)
            }
            let outside = h.served.deletingLastPathComponent()
            #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("evil").path))
        }
    }
}
