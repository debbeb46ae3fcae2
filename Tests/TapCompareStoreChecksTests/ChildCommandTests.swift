import Testing
@testable import TapCompareStoreChecks

/// `consumer_check` commands run through `ChildCommand` (posix_spawn): their exit status, standard error and input
/// must arrive as a shell would give them, and a command that hangs must be killed at the deadline.
@Suite("Child command")
struct ChildCommandTests {
    @Test("the event reaches standard input; exit 0 is readable, another status unreadable with standard error")
    func statusAndStandardError() async {
        let readable = await ConsumerCheck(command: ["sh", "-c", #"grep -q '"score":1'"#]).run(event: #"{"score":1}"#, timeout: .seconds(20))
        #expect(readable == .readable)
        let unreadable = await ConsumerCheck(command: ["sh", "-c", "cat >/dev/null; echo 'score is not a number' >&2; exit 3"])
            .run(event: #"{"score":"1"}"#, timeout: .seconds(20))
        #expect(unreadable == .unreadable(status: 3, message: "score is not a number"))
    }

    @Test("a command that hangs is killed at its deadline and reported timed out")
    func timeout() async {
        let verdict = await ConsumerCheck(command: ["sleep", "30"]).run(event: "{}", timeout: .milliseconds(300))
        #expect(verdict == .failed(reason: "consumer_check_timeout", message: "sleep 30 did not finish within 0.3 seconds"))
    }

    @Test("standard error is cut at 512 bytes; a command that never reads a large event does not block")
    func boundedOutputAndUnreadInput() async {
        let event = String(repeating: "x", count: 1 << 20)
        let outcome = await ChildCommand(arguments: ["sh", "-c", #"head -c 100000 /dev/zero | tr '\000' e >&2; exit 4"#])
            .run(input: Array(event.utf8), timeout: .seconds(20), keepingErrorBytes: ConsumerCheck.maxMessageBytes)
        #expect(outcome == .exited(status: 4, standardError: [UInt8](repeating: UInt8(ascii: "e"), count: 512)))
    }

    @Test("a command that does not exist: env's 127, with its message; a signal is reported as 128 + its number")
    func missingCommandAndSignal() async {
        let missing = await ChildCommand(arguments: ["tapcompare-no-such-command"]).run(input: [], timeout: .seconds(20), keepingErrorBytes: 512)
        guard case .exited(127, let message) = missing else {
            Issue.record("expected exit 127, got \(missing)")
            return
        }
        #expect(String(decoding: message, as: UTF8.self).contains("tapcompare-no-such-command"))
        let killed = await ChildCommand(arguments: ["sh", "-c", "kill -TERM $$"]).run(input: [], timeout: .seconds(20), keepingErrorBytes: 512)
        #expect(killed == .exited(status: 128 + 15, standardError: []))
    }

    @Test("the child gets no descriptor of this process beyond its standard three")
    func noInheritedDescriptors() async {
        let outcome = await ChildCommand(arguments: ["sh", "-c", "ls /proc/self/fd >&2"]).run(input: [], timeout: .seconds(20), keepingErrorBytes: 512)
        guard case .exited(0, let listing) = outcome else {
            Issue.record("expected exit 0, got \(outcome)")
            return
        }
        // 0, 1, 2, and the descriptor `ls` opens to read the directory.
        let descriptors = String(decoding: listing, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(descriptors.filter { $0 > 2 }.count <= 1, "\(descriptors)")
    }
}
