import Foundation
import GitSource
import PetrelTesting
import Testing

/// Crafted archives that used to trap the extractor (review findings S7 and S14), and links, which artifacts
/// never contain.
@Suite("TarGzExtractor refuses crafted archives without trapping")
struct TarGzExtractorTests {
    /// A sandbox `base/a/b/c/out`: `..` escapes of up to three levels land inside `base`, where they are seen.
    struct Sandbox {
        let base: URL
        var destination: URL { base.appendingPathComponent("a/b/c/out") }
        let archive: URL

        init() throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-tgz-\(UUID().uuidString)")
            base = scratch.appendingPathComponent("sandbox")
            archive = scratch.appendingPathComponent("in.tar.gz")
            try FileManager.default.createDirectory(
                at: base.appendingPathComponent("a/b/c"), withIntermediateDirectories: true)
        }

        func remove() { try? FileManager.default.removeItem(at: base.deletingLastPathComponent()) }

        func extract(_ tar: TarFixture, limits: ExtractionLimits = ExtractionLimits()) throws(TarGzExtractionError)
            -> ExtractionSummary
        {
            try extract(gzip: tar.gzip(), limits: limits)
        }

        func extract(gzip: [UInt8], limits: ExtractionLimits = ExtractionLimits()) throws(TarGzExtractionError)
            -> ExtractionSummary
        {
            try? FileManager.default.removeItem(at: destination)
            FileManager.default.createFile(atPath: archive.path, contents: Data(gzip))
            return try TarGzExtractor.extract(archive: archive, into: destination, limits: limits)
        }

        /// Paths under `base` that are neither the sandbox folders nor inside the destination, and symlinks anywhere.
        func strayPaths() -> [String] {
            var stray: [String] = []
            let allowed: Set<String> = ["a", "a/b", "a/b/c", "a/b/c/out"]
            guard let walker = FileManager.default.enumerator(atPath: base.path) else { return ["<unreadable>"] }
            while let path = walker.nextObject() as? String {
                var info = stat()
                if lstat(base.appendingPathComponent(path).path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                    stray.append(path + " (symlink)")
                }
                if !allowed.contains(path) && !path.hasPrefix("a/b/c/out/") { stray.append(path) }
            }
            return stray
        }
    }

    /// The PAX archives of the review's proof of concept, rebuilt byte for byte by ``TarFixture``.
    static func paxArchive(_ case_: String) -> TarFixture {
        var tar = TarFixture()
        switch case_ {
        case "bad length":  // "1 a=b\n": a length shorter than its own prefix (built the range 2..<0)
            tar.pax([Array("1 a=b\n".utf8)])
            tar.header(name: "f", type: "0")
        case "length overflow":  // a second record of length Int.max (index + length overflowed)
            tar.pax([Array("11 a=bcdef\n".utf8), Array("9223372036854775807 b=c\n".utf8)])
            tar.header(name: "f", type: "0")
        default:  // "size overflow": size=Int.max on a directory, whose data was skipped (remaining + padding)
            tar.pax([TarFixture.paxRecord("size", "9223372036854775807")])
            tar.header(name: "d/", type: "5")
            tar.header(name: "g", type: "0")
        }
        tar.end()
        return tar
    }

    @Test(
        "malformed PAX records give a typed error instead of a trap",
        arguments: [
            ("bad length", "CorruptArchive"), ("length overflow", "CorruptArchive"),
            ("size overflow", "ArchiveLimitExceeded"),
        ])
    func paxTraps(name: String, reason: String) throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let error = #expect(throws: TarGzExtractionError.self) { try sandbox.extract(Self.paxArchive(name)) }
        #expect(error?.reason == reason, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: sandbox.destination.path))
    }

    @Test("PAX sizes must be decimal and within the byte budget; a directory may not carry data")
    func paxSizes() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        for (value, reason) in [("-1", "CorruptArchive"), ("1e3", "CorruptArchive"), ("2000", "ArchiveLimitExceeded")] {
            var tar = TarFixture()
            tar.pax([TarFixture.paxRecord("size", value)])
            tar.header(name: "f.yaml", type: "0")
            tar.end()
            let error = #expect(throws: TarGzExtractionError.self) {
                try sandbox.extract(tar, limits: ExtractionLimits(maxTotalBytes: 1000))
            }
            #expect(error?.reason == reason, "size=\(value): \(String(describing: error))")
        }
        var tar = TarFixture()
        tar.header(name: "d/", type: "5", size: 512)
        tar.data([UInt8](repeating: 1, count: 512))
        tar.end()
        let error = #expect(throws: TarGzExtractionError.self) { try sandbox.extract(tar) }
        #expect(error?.reason == "CorruptArchive")
    }

    @Test("a long name in a PAX record, as TarGzArchiver writes it, is extracted")
    func paxPath() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let long = String(repeating: "n", count: 180) + ".yaml"
        var tar = TarFixture()
        tar.pax([TarFixture.paxRecord("path", long)])
        tar.file(String(long.suffix(100)), "kind: x\n")
        tar.end()
        #expect(try sandbox.extract(tar).entries == 1)
        #expect(FileManager.default.fileExists(atPath: sandbox.destination.appendingPathComponent(long).path))
    }

    @Test(
        "links are refused, chained ones included, and nothing is created outside the folder",
        arguments: [
            // Lexically each link stays inside; on disk s/c is the grandparent, so s/c/evil/x used to create `evil`
            // outside the root before the ancestor check ran.
            [("s/b", "2", ".."), ("s/c", "2", "b/../.."), ("s/c/evil/x", "2", "y")],
            [("dangling", "2", "../../../escaped")],
            [("fine.yaml", "0", ""), ("copy.yaml", "1", "fine.yaml")],
        ])
    func links(entries: [(String, Character, String)]) throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        var tar = TarFixture()
        for (name, type, target) in entries {
            if type == "0" {
                tar.file(name, "data")
            } else {
                tar.header(name: name, type: type, linkName: target)
            }
        }
        tar.end()
        let error = #expect(throws: TarGzExtractionError.self) { try sandbox.extract(tar) }
        #expect(error?.reason == "UnsupportedArchiveEntry", "\(String(describing: error))")
        #expect(error?.message.contains("link") == true)
        #expect(sandbox.strayPaths().isEmpty, "\(sandbox.strayPaths())")
        #expect(!FileManager.default.fileExists(atPath: sandbox.destination.path))
    }

    @Test("paths longer than the limit are refused with the limit named")
    func pathLength() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        var tar = TarFixture()
        tar.pax([TarFixture.paxRecord("path", String(repeating: "d/", count: 3000) + "f")])
        tar.file("f", "x")
        tar.end()
        let error = #expect(throws: TarGzExtractionError.self) { try sandbox.extract(tar) }
        #expect(error?.reason == "ArchiveLimitExceeded")
        #expect(error?.message.contains("4096") == true)
    }
}
