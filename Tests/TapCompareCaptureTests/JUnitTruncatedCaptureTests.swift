import Foundation
import Logging
import TapCompareApp
import TapCompareCapture
import TapCompareCore
import TapCompareTestSupport
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The JUnit report lists a capture file's last line that a failed write cut short, as the terminal summary and the
/// Markdown report do: a skipped test case named `file:line`, counted in the suite's `tests` and `skipped`, which is
/// what CI pages show of a JUnit file. Read back with an XML parser, as CI reads it.
@Suite struct JUnitTruncatedCaptureTests {
    @Test(.timeLimit(.minutes(TestTiming.minutes(1)))) func aLastLineCutShortIsASkippedTestCaseNamedAfterItsFileAndLine() async throws {
        let dir = try TestPaths.temporaryDirectory()
        let records = try CaptureFile.read(path: ReplayRunTests.fixture)
        // A name that needs escaping in an attribute, so the case's name is read back through the escaping.
        let path = dir.appendingPathComponent("traffic \"a&b\" <1>.jsonl").path
        try CaptureFile.write(Array(records.prefix(20)), path: path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: try CaptureCodec().encode(records[20]).prefix(57))
        try handle.close()
        let junit = dir.appendingPathComponent("junit.xml").path
        let result = try await DemoServers.withRunning(store: try DemoFixtureStore(records: records), latency: DemoLatency(scale: 0)) { endpoints in
            try await ReplayRunTests.run(captures: [path], candidate: endpoints.candidate, junit: junit)
        }
        #expect(result.summary.total == 20)
        let report = try JUnitDocument(contentsOf: junit)
        let routes = result.summary.sortedRoutes
        let routesSkipped = routes.filter { $0.judged == 0 }.count

        let torn = report.cases.filter { $0.classname == "tapcompare.replay.capture" }
        #expect(torn.map(\.name) == ["\(path):21"], "one case for the torn line, named file:line: \(report.cases.map(\.name))")
        #expect(torn.first?.skipped == "the last line is cut short (57 bytes and no newline: what a write that failed left of a record); not replayed")
        #expect(report.cases.filter { $0.classname == "tapcompare.replay" }.map(\.name) == routes.map(\.route), "the routes' cases are all still there")
        for suite in [report.suites, report.suite] {
            #expect(suite["tests"] == "\(routes.count + 1)", "\(suite)")
            #expect(suite["skipped"] == "\(routesSkipped + 1)", "\(suite)")
        }
        #expect(report.cases.count == routes.count + 1)
        #expect(report.cases.filter { $0.skipped != nil }.count == routesSkipped + 1)

        // The file is valid against the JUnit schema CI tools follow.
        let validation = try await runToEnd(
            ["python3", TestPaths.repositoryRoot.appendingPathComponent("fixtures/junit/validate.py").path, junit], mergingErrors: true
        )
        #expect(validation.status == 0, "the JUnit XML is not valid: \(validation.standardOutput)")

        // Without a torn line, the report has the routes' cases only, counted as before.
        var whole = result.summary
        whole.truncatedCaptureEnds = []
        let plain = try JUnitDocument(xml: JUnitReport.render(whole, candidate: "candidate", timings: false))
        #expect(plain.cases.allSatisfy { $0.classname == "tapcompare.replay" })
        #expect(plain.cases.map(\.name) == routes.map(\.route))
        #expect(plain.suite["tests"] == "\(routes.count)" && plain.suite["skipped"] == "\(routesSkipped)", "\(plain.suite)")
        #expect(plain.suites["tests"] == "\(routes.count)" && plain.suites["skipped"] == "\(routesSkipped)", "\(plain.suites)")
    }
}

/// What a CI system reads of a JUnit file: the attributes of `testsuites` and `testsuite`, and each test case with
/// its `skipped` message. Parsed with Foundation's `XMLParser`, so a file that is not well-formed XML fails.
struct JUnitDocument {
    struct Case {
        var name: String
        var classname: String
        var skipped: String?
    }

    var suites: [String: String] = [:]
    var suite: [String: String] = [:]
    var cases: [Case] = []

    private init() {}

    init(contentsOf path: String) throws {
        try self.init(xml: String(contentsOfFile: path, encoding: .utf8))
    }

    init(xml: String) throws {
        let parser = XMLParser(data: Data(xml.utf8))
        let reader = Reader()
        parser.delegate = reader
        guard parser.parse() else {
            throw TestSetupError("the JUnit XML does not parse: \(parser.parserError.map { "\($0)" } ?? "unknown error")")
        }
        self = reader.document
    }

    private final class Reader: NSObject, XMLParserDelegate {
        var document = JUnitDocument()

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String]
        ) {
            switch name {
            case "testsuites": self.document.suites = attributes
            case "testsuite": self.document.suite = attributes
            case "testcase": self.document.cases.append(Case(name: attributes["name"] ?? "", classname: attributes["classname"] ?? ""))
            case "skipped": self.document.cases[self.document.cases.count - 1].skipped = attributes["message"] ?? ""
            default: break
            }
        }
    }
}
