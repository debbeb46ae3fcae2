import Foundation
import NIOCore

/// How many event loops `serve` runs: one per core this process may use.
///
/// NIO sizes its singleton event loop group by the machine's cores and cgroup limits, but not by the process's CPU
/// affinity: pinned to one core with `taskset -c 1` on a 2-core machine, the proxy ran two event loops that took
/// turns on that core, each waking the other (measured: sample rate 1.0 at 32 connections, both loops busy, a
/// third of the time in the kernel). Sizing the group by the affinity mask gives one loop per usable core, as
/// nginx's `worker_processes auto` does.
public enum UsableCores {
    /// The CPUs in this process's affinity mask, when the system tells (`Cpus_allowed_list` of
    /// `/proc/self/status`, e.g. `1` or `0-3,8`: Glibc's `sched_getaffinity` is not visible to Swift).
    public static func affinityCount() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return nil }
        return Self.count(cpuList: line.dropFirst("Cpus_allowed_list:".count))
    }

    /// The CPUs a Linux CPU list names (`0-3,8`: ranges and single CPUs, comma-separated); `nil` when it is not one.
    static func count(cpuList: Substring) -> Int? {
        var total = 0
        for part in cpuList.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            switch bounds.count {
            case 1:
                guard bounds[0] != nil else { return nil }
                total += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], high >= low else { return nil }
                total += high - low + 1
            default:
                return nil
            }
        }
        return total > 0 ? total : nil
    }

    /// Suggests NIO's singleton group one event loop per core of the affinity mask, when that is fewer than NIO
    /// would start (and `NIO_SINGLETON_GROUP_LOOP_COUNT` does not choose). NIO accepts the suggestion once, before
    /// the group is first used: call this first thing in `main`.
    public static func sizeEventLoopGroup() {
        guard ProcessInfo.processInfo.environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil,
            let usable = Self.affinityCount(), usable < System.coreCount
        else { return }
        NIOSingletons.groupLoopCountSuggestion = usable
    }
}
