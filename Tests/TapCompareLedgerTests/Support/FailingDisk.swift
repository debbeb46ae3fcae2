import Foundation
import Synchronization
@testable import TapCompareLedger

/// The spool's system calls (``SpoolFileCalls``) failing the way a real disk does, at the append a test chooses: a
/// write that stops partway and then fails, a truncate refused, an `fsync` returning an error. Until then, and for
/// everything else, the real calls on the real files.
final class FailingDisk: Sendable {
    private struct Plan {
        /// Bytes the next writes may still put on disk before the failure; `nil`: no failure planned.
        var bytesBeforeWriteFails: Int?
        var writeErrno: Int32 = 0
        var truncateFails = false
        var fsyncErrno: Int32?
        /// Every unlink fails with this until ``allowUnlinks()``; `nil`: they succeed.
        var unlinkErrno: Int32?
    }

    private let plan = Mutex(Plan())

    /// The next frame written gets `bytes` bytes onto the disk, then its write fails with `errno`; with
    /// `truncateFails`, cutting those bytes off fails too (`EIO`). Once.
    func failNextWrite(after bytes: Int, errno: Int32, truncateFails: Bool = false) {
        self.plan.withLock {
            $0.bytesBeforeWriteFails = bytes
            $0.writeErrno = errno
            $0.truncateFails = truncateFails
        }
    }

    /// The next `fsync` of a segment fails with `errno` after the frame was written whole. Once.
    func failNextFsync(errno: Int32) {
        self.plan.withLock { $0.fsyncErrno = errno }
    }

    /// Every unlink of a replayed segment fails with `errno` (`EBUSY`, `EACCES`) until ``allowUnlinks()``.
    func failUnlinks(errno: Int32) {
        self.plan.withLock { $0.unlinkErrno = errno }
    }

    func allowUnlinks() {
        self.plan.withLock { $0.unlinkErrno = nil }
    }

    var calls: SpoolFileCalls {
        SpoolFileCalls(
            write: { fd, bytes in
                // How many of these bytes may go to the disk: all (`nil`), some, or none (then the write fails).
                let allowed: Int? = self.plan.withLock { plan in
                    guard let left = plan.bytesBeforeWriteFails else { return nil }
                    if left == 0 { plan.bytesBeforeWriteFails = nil }
                    return left
                }
                guard let allowed else { return SpoolFileCalls.system.write(fd, bytes) }
                if allowed == 0 {
                    errno = self.plan.withLock { $0.writeErrno }
                    return -1
                }
                let n = SpoolFileCalls.system.write(fd, UnsafeRawBufferPointer(rebasing: bytes.prefix(allowed)))
                if n > 0 { self.plan.withLock { $0.bytesBeforeWriteFails = allowed - n } }
                return n
            },
            fsync: { fd in
                guard let failure = self.plan.withLock({ plan in defer { plan.fsyncErrno = nil }; return plan.fsyncErrno }) else {
                    return SpoolFileCalls.system.fsync(fd)
                }
                errno = failure
                return -1
            },
            ftruncate: { fd, length in
                guard self.plan.withLock({ plan in defer { plan.truncateFails = false }; return plan.truncateFails }) else {
                    return SpoolFileCalls.system.ftruncate(fd, length)
                }
                errno = EIO
                return -1
            },
            unlink: { path in
                guard let failure = self.plan.withLock({ $0.unlinkErrno }) else { return SpoolFileCalls.system.unlink(path) }
                errno = failure
                return -1
            }
        )
    }
}
