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

    /// A field of /proc/self/status in kB (e.g. `VmRSS:`, `RssAnon:`, `RssFile:`, `Threads:` as a count).
    package static func statusField(_ name: String) -> Int {
        #if canImport(Glibc)
        guard let file = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix(name) else { continue }
            return Int(text.dropFirst(name.count).split(separator: " ").first ?? "") ?? 0
        }
        #endif
        return 0
    }
}
