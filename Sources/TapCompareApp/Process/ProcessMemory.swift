import CTapCompareMalloc
import Foundation

/// The process's memory as the allocator and the kernel see it, and the one call that hands memory the process
/// has freed back to the operating system. glibc only (Linux); elsewhere every answer is `nil`.
public enum ProcessMemory {
    /// The allocator's view of the heap (glibc's `mallinfo2`).
    public struct Heap: Sendable, Equatable {
        /// Bytes in allocations not yet freed: what the process actually uses.
        public var inUse: Int
        /// Bytes malloc holds free in its arenas, ready for reuse (resident until released, or touched again).
        public var freeHeld: Int
    }

    /// `malloc_trim(0)`: every arena's whole free pages go back to the kernel. Returns whether any memory was
    /// returned, or `nil` where the C library has no such call. Locks one arena at a time while it walks it.
    public static func releaseFreeMemory() -> Bool? {
        switch c_tapcompare_malloc_trim() {
        case -1: nil
        case 0: false
        default: true
        }
    }

    /// The heap now, or `nil` without glibc 2.33 or later. Walks every arena: for a periodic gauge, not a hot path.
    public static func heap() -> Heap? {
        var inUse = 0
        var freeHeld = 0
        guard c_tapcompare_malloc_info(&inUse, &freeHeld) == 0 else { return nil }
        return Heap(inUse: inUse, freeHeld: freeHeld)
    }

    /// Resident anonymous memory (`RssAnon` in `/proc/self/status`), in bytes: the heap, thread stacks and other
    /// private memory, which is the part of RSS that releasing free memory can lower. `nil` off Linux.
    public static func residentAnonymousBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return Self.statusField("RssAnon", in: status)
    }

    /// A `kB` field of a `/proc/PID/status` text, in bytes.
    static func statusField(_ name: String, in status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first
                .flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }
}
