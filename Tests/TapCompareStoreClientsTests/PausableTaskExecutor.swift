import Dispatch

/// A task executor that a test can pause: a task that prefers it (`Task(executorPreference:)`) does not resume while
/// it is paused, even when what the task awaits has completed. It plays a busy machine's task pool for one task.
///
/// Blocking the threads of the shared task pool instead would stall every other test of the process: they run in
/// parallel, and their in-process servers and clients then miss their own deadlines.
final class PausableTaskExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "tapcompare.test.pausable-task-executor")
    /// Resumes `queue`. Its own serial queue, not `DispatchQueue.global()`: that is the shared task pool's queue, and
    /// a resume waiting behind the pool's backlog would stretch the pause by seconds in a busy run.
    private let resumer = DispatchQueue(label: "tapcompare.test.pausable-task-executor.resume")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = self.asUnownedTaskExecutor()
        self.queue.async { job.runSynchronously(on: executor) }
    }

    /// Pauses the executor for `duration` once the job running now ends (a paused dispatch queue finishes the block
    /// it is running): a job enqueued meanwhile runs only after that. No thread waits while it is paused.
    func pause(for duration: Duration) {
        self.queue.suspend()
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        self.resumer.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [queue] in queue.resume() }
    }
}
