import Foundation
import TapCompareTestSupport
import Testing
import Yams

/// `docs/alerts/tapcompare.rules.yml` is a Prometheus rules file whose every alert names metrics TapCompare
/// exports: a renamed metric would otherwise leave an alert that silently never fires.
@Suite struct AlertRulesTests {
    @Test func everyAlertIsCompleteAndNamesExportedMetrics() throws {
        let text = try String(contentsOfFile: Paths.repository + "/docs/alerts/tapcompare.rules.yml", encoding: .utf8)
        let root = try #require(try Yams.load(yaml: text) as? [String: Any])
        let groups = try #require(root["groups"] as? [[String: Any]])
        // Every metric name the code registers (labels of Counter/Gauge/Timer/Recorder), read from the sources.
        let sources = try FileManager.default.subpathsOfDirectory(atPath: Paths.repository + "/Sources").filter { $0.hasSuffix(".swift") }
        var exported = Set<String>()
        let pattern = try NSRegularExpression(pattern: #""(tapcompare_[a-z_]+)""#)
        for file in sources {
            let code = try String(contentsOfFile: Paths.repository + "/Sources/" + file, encoding: .utf8)
            for match in pattern.matches(in: code, range: NSRange(code.startIndex..., in: code)) {
                exported.insert(String(code[Range(match.range(at: 1), in: code)!]))
            }
        }
        var alerts = 0
        for group in groups {
            #expect(group["name"] is String)
            for rule in try #require(group["rules"] as? [[String: Any]]) {
                alerts += 1
                let name = rule["alert"] as? String ?? "?"
                let expr = try #require(rule["expr"] as? String, "\(name)")
                #expect(rule["for"] is String, "\(name)")
                #expect((rule["labels"] as? [String: Any])?["severity"] is String, "\(name)")
                #expect((rule["annotations"] as? [String: Any])?["summary"] is String, "\(name)")
                let names = Set(expr.split(whereSeparator: { !($0.isLetter || $0 == "_") }).map(String.init).filter { $0.hasPrefix("tapcompare_") })
                #expect(!names.isEmpty, "\(name) uses no TapCompare metric")
                for metric in names {
                    // Histograms are exported with _bucket/_sum/_count suffixes of a registered name.
                    let base = ["_bucket", "_sum", "_count"].reduce(metric) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
                    #expect(exported.contains(metric) || exported.contains(base), "\(name): \(metric) is not a metric TapCompare exports")
                }
            }
        }
        #expect(alerts >= 8)
    }
}
