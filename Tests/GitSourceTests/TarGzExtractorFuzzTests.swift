import Foundation
import GitSource
import PetrelTesting
import Testing

/// A small, fast, seedable generator (SplitMix64), so a failing fuzz input can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &self)] }
}

/// Generates mutated tar.gz artifacts: hostile names and link targets, PAX records with wrong lengths and sizes,
/// size fields in octal and base-256, wrong checksums, truncated tar and gzip streams, flipped bytes.
struct ArchiveMutator {
    let marker: String

    var names: [String] {
        [
            "a.yaml", "dir/b.yaml", "./c.yaml", "dir", "dir/", "", ".", "..", "../\(marker)", "../../../\(marker)",
            "dir/../../\(marker)", "/tmp/\(marker)", "x\u{0}y", String(repeating: "n/", count: 2100) + "f",
            String(repeating: "z", count: 300), "é/ü.yaml", "dir/sub/deep/e.yaml",
        ]
    }

    func sizeField(_ rng: inout SplitMix64, actual: Int) -> [UInt8]? {
        switch Int.random(in: 0..<25, using: &rng) {
        case 0: return Array(String(format: "%011llo", UInt64.random(in: 0...(1 << 33), using: &rng)).utf8)
        case 1: return Array("77777777777\0".utf8)
        case 2: return [0x80] + (0..<11).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 3: return [0xff] + [UInt8](repeating: 0xff, count: 11)
        case 4: return Array("9z\0".utf8)
        case 5: return Array("           ".utf8)
        default: return nil  // the real size
        }
    }

    func paxRecord(_ rng: inout SplitMix64) -> [UInt8] {
        switch Int.random(in: 0..<12, using: &rng) {
        case 0: return Array("1 a=b\n".utf8)
        case 1: return Array("9223372036854775807 b=c\n".utf8)
        case 2: return Array("99999999999999999999999 x=y\n".utf8)
        case 3: return Array("0 \n".utf8)
        case 4: return Array("6 abc\n".utf8)
        case 5: return TarFixture.paxRecord("size", rng.pick(["-1", "9223372036854775807", "1e9", "12", "0", ""]))
        case 6: return TarFixture.paxRecord("path", rng.pick(names))
        case 7: return TarFixture.paxRecord("linkpath", rng.pick(["..", "/etc/passwd", "b/../.."]))
        case 8: return (0..<Int.random(in: 1...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 9: return Array("12 size=3\n".utf8)
        default: return TarFixture.paxRecord(rng.pick(["path", "size", "mtime", "uid"]), "\(rng.next() % 1000)")
        }
    }

    /// One mutated archive (gzip bytes).
    func make(_ rng: inout SplitMix64) -> [UInt8] {
        var tar = TarFixture()
        let types: [Character] = ["0", "0", "0", "5", "5", "2", "1", "3", "6", "7", "x", "g", "L", "K", "Z", "\0"]
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            if rng.chance(30) {
                tar.pax((0..<Int.random(in: 1...3, using: &rng)).map { _ in paxRecord(&rng) }, global: rng.chance(20))
            }
            if rng.chance(10) {
                let long = Array(rng.pick(names).utf8)
                tar.header(name: "././@LongLink", type: rng.pick(["L", "K"]), size: long.count)
                tar.data(long)
            }
            let type = rng.pick(types)
            let length = rng.chance(50) ? Int.random(in: 0...1500, using: &rng) : 0
            let declared = rng.chance(85) ? length : Int.random(in: 0...4000, using: &rng)
            tar.header(
                name: rng.pick(names), type: type, size: declared, mode: rng.pick([0o644, 0o755, 0o4777, -1]),
                linkName: rng.pick(["", "..", "b/../..", "/etc/passwd", "a.yaml", "../../../\(marker)"]),
                prefix: rng.chance(10) ? rng.pick(["..", "pre", "/abs"]) : "", sizeField: sizeField(&rng, actual: declared),
                correctChecksum: rng.chance(95))
            tar.data([UInt8](repeating: UInt8(ascii: "k"), count: length))
        }
        if rng.chance(80) { tar.end() }
        var bytes = tar.bytes
        if rng.chance(20), !bytes.isEmpty {
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let position = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[position] = UInt8.random(in: 0...255, using: &rng)
                if rng.chance(70) { TarFixture.setChecksum(&bytes, at: position - position % 512) }
            }
        }
        if rng.chance(10) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng))) }
        var gzip = TarFixture.gzip(bytes)
        if rng.chance(8), !gzip.isEmpty {
            if rng.chance(50) {
                gzip = Array(gzip.prefix(Int.random(in: 0...gzip.count, using: &rng)))
            } else {
                gzip[Int.random(in: 0..<gzip.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
        }
        return gzip
    }
}

@Suite("TarGzExtractor fuzzing")
struct TarGzExtractorFuzzTests {
    /// Runs for `PETREL_FUZZ_SECONDS` (default 3) or `PETREL_FUZZ_INPUTS` inputs (default 3,000), whichever ends
    /// first; `PETREL_FUZZ_SEED` replays a run. A trap would kill the test process; every input must instead give a
    /// summary or a ``TarGzExtractionError``, write nothing outside the destination and create no symlink.
    @Test("mutated tar.gz artifacts give a typed error or a clean extraction, never a trap or a stray write")
    func fuzz() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["PETREL_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        let seconds = environment["PETREL_FUZZ_SECONDS"].flatMap { Double($0) } ?? 3
        let maxInputs = environment["PETREL_FUZZ_INPUTS"].flatMap { Int($0) } ?? 3000
        print("TarGzExtractor fuzz: seed \(seed) (replay with PETREL_FUZZ_SEED=\(seed))")
        var rng = SplitMix64(state: seed)
        let sandbox = try TarGzExtractorTests.Sandbox()
        defer { sandbox.remove() }
        let marker = "petrel-fuzz-escape-\(seed)"
        let mutator = ArchiveMutator(marker: marker)
        var outcomes: [String: Int] = [:]
        let start = ContinuousClock.now
        var inputs = 0
        while inputs < maxInputs, inputs < 100 || start.duration(to: .now) < .seconds(seconds) {
            inputs += 1
            let archive = mutator.make(&rng)
            let small = rng.chance(30)
            let limits = small ? ExtractionLimits(maxEntries: 3, maxTotalBytes: 2000, maxPathLength: 64) : ExtractionLimits()
            let outcome: String
            do {
                _ = try sandbox.extract(gzip: archive, limits: limits)
                outcome = "extracted"
            } catch {  // typed: a TarGzExtractionError
                outcome = error.reason
                #expect(!FileManager.default.fileExists(atPath: sandbox.destination.path), "input \(inputs)")
            }
            outcomes[outcome, default: 0] += 1
            let stray = sandbox.strayPaths()
            #expect(stray.isEmpty, "input \(inputs) of seed \(seed) wrote outside the folder: \(stray)")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/\(marker)"), "input \(inputs) of seed \(seed)")
            if !stray.isEmpty { break }
        }
        let elapsed = start.duration(to: .now)
        print("TarGzExtractor fuzz: \(inputs) inputs in \(elapsed), outcomes \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes.count >= 3, "the mutator reaches several outcomes: \(outcomes)")
    }
}
