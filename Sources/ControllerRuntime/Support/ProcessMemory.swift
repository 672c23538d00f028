#if canImport(Glibc)
import Glibc
#endif

/// The process's memory: resident size, and the glibc malloc settings that keep a controller's footprint small.
///
/// glibc's `malloc` keeps freed memory for reuse and, with many threads, spreads the heap over several arenas
/// (up to 8 per core), each holding its own free memory. A controller allocates mostly on a few threads and
/// holds one long-lived cache, so one arena per thread is waste. Both calls are looked up at run time and do
/// nothing where they do not exist (musl, macOS).
package enum ProcessMemory {
    private typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32
    private typealias TrimFunction = @convention(c) (Int) -> Int32

    /// glibc's `M_ARENA_MAX` parameter number (malloc.h).
    private static let arenaMaximumParameter: Int32 = -8

    /// Limits glibc malloc to `arenas` arenas (call once, at start-up, before threads allocate). An environment
    /// variable `MALLOC_ARENA_MAX` set by the operator wins.
    package static func limitArenas(to arenas: Int32) {
        #if canImport(Glibc)
        guard getenv("MALLOC_ARENA_MAX") == nil, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")
        else { return }
        _ = unsafeBitCast(symbol, to: MalloptFunction.self)(arenaMaximumParameter, arenas)
        #endif
    }

    /// Returns free heap memory to the system (glibc `malloc_trim(0)`), e.g. after a large list was decoded.
    package static func trim() {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: TrimFunction.self)(0)
        #endif
    }

    /// The resident set size in bytes (`VmRSS` of /proc/self/status); 0 where unavailable.
    package static func residentBytes() -> Int {
        statusField("VmRSS:") * 1_024
    }

    /// A field of /proc/self/status in kB (e.g. `VmRSS:`, `RssAnon:`, `RssFile:`; `Threads:` is a count); 0 where
    /// unavailable.
    package static func statusField(_ name: String) -> Int {
        for line in lines(of: "/proc/self/status") where line.hasPrefix(name) {
            return Int(line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return 0
    }

    /// Resident kB per mapping of /proc/self/smaps, by file name (`[heap]`, `[anonymous]`, `[stack]`, ...).
    package static func residentByMapping() -> [String: Int] {
        var result: [String: Int] = [:]
        var current = "[anonymous]"
        for line in lines(of: "/proc/self/smaps") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = fields.first else { continue }
            if first.hasSuffix(":") {
                if first == "Rss:", fields.count > 1 { result[current, default: 0] += Int(fields[1]) ?? 0 }
            } else if first.contains("-") {
                let path = fields.count > 5 ? fields[5...].joined(separator: " ") : "[anonymous]"
                current = path.split(separator: "/").last.map(String.init) ?? path
            }
        }
        return result
    }

    /// The lines of a (proc) file, read with stdio: /proc files report a size of 0, so size-based reads miss them.
    private static func lines(of path: String) -> [String] {
        #if canImport(Glibc)
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var result: [String] = []
        var buffer = [CChar](repeating: 0, count: 4_096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            result.append(line.hasSuffix("\n") ? String(line.dropLast()) : line)
        }
        return result
        #else
        return []
        #endif
    }
}
