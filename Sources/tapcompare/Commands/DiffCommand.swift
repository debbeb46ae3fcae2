import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareRules

/// `tapcompare diff LEGACY CANDIDATE`: compares two response bodies offline with the same engine as `serve`.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two response bodies with the diff engine.",
        discussion: "Exit status: 0 when equal, 1 when they differ, 2 on bad input (unreadable file, invalid JSON, bad rules)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
        case jsonPatch = "json-patch"
    }

    @Argument(help: "The legacy body (file).")
    var legacy: String

    @Argument(help: "The candidate body (file).")
    var candidate: String

    @Option(help: "A diff-rules directory to apply.")
    var rules: String?

    @Option(help: "The route template whose rules apply, e.g. 'GET /api/v1/comments/{id}'. Without it only \"*\" rules apply.")
    var route: String?

    @Option(help: "The bodies' media type. Default: sniffed (JSON when a body starts with '{' or '['; else binary).")
    var contentType: String?

    @Option(help: "Output: text, json (the discrepancy list) or json-patch (RFC 6902 from legacy to candidate).")
    var format: Format = .text

    func run() throws {
        let legacyBytes = try Self.read(self.legacy)
        let candidateBytes = try Self.read(self.candidate)
        var ruleSet = RuleSet.empty
        if let rules {
            do {
                ruleSet = try RuleSetLoader.load(directory: rules)
            } catch {
                Self.fail("invalid rules: \(error.diagnostics.first?.description ?? "")" + (error.diagnostics.count > 1 ? " (and \(error.diagnostics.count - 1) more; run 'tapcompare rules check \(rules)')" : ""))
            }
        }
        var routeName = "*"
        var method = "GET"
        var path = "/"
        if let route {
            do {
                let template = try RouteTemplate(parsing: route)
                routeName = template.name
                method = template.method == "*" ? "GET" : template.method
                path = String(template.name.split(separator: " ", maxSplits: 1).last ?? "/")
            } catch {
                Self.fail("\(error)")
            }
        }
        let type = self.contentType ?? (Self.sniffJSON(legacyBytes) || Self.sniffJSON(candidateBytes) ? "application/json" : "application/octet-stream")
        if type.lowercased().contains("json") {
            // Offline, a body that is not JSON is a bad input rather than a finding.
            for (name, bytes) in [(self.legacy, legacyBytes), (self.candidate, candidateBytes)] {
                do { _ = try JSONParser.parse(bytes) } catch { Self.fail("\(name): \(error)") }
            }
        }
        let headers = HTTPHeaders([("content-type", type)])
        let comparator = Comparator(ruleSet: ruleSet)
        let result = comparator.compare(
            legacy: ResponseSnapshot(status: .ok, headers: headers, body: ByteBuffer(bytes: legacyBytes)),
            candidate: ResponseSnapshot(status: .ok, headers: headers, body: ByteBuffer(bytes: candidateBytes)),
            rules: ruleSet.routeRules(route: routeName, method: method, path: Substring(path))
        )
        if let skip = result.skipReason { Self.fail("not compared: \(skip)") }
        let discrepancies = result.discrepancies
        switch self.format {
        case .text:
            for d in discrepancies {
                print("\(d.kind.rawValue)\t\(d.path.isEmpty ? "\"\"" : d.path)\t\(d.legacyValue ?? "(absent)") → \(d.candidateValue ?? "(absent)")")
            }
            print(discrepancies.isEmpty ? "equal" : "\(discrepancies.count) discrepanc\(discrepancies.count == 1 ? "y" : "ies")")
        case .json:
            let list = JSONValue.array(discrepancies.map { d in
                var members: [JSONObject.Member] = [
                    .init(key: "path", value: .string(d.path)), .init(key: "field", value: .string(d.field)),
                    .init(key: "kind", value: .string(d.kind.rawValue)),
                ]
                members.append(.init(key: "legacy", value: d.legacyValue.flatMap { try? JSONValue(parsing: $0) } ?? .null))
                members.append(.init(key: "candidate", value: d.candidateValue.flatMap { try? JSONValue(parsing: $0) } ?? .null))
                return .object(JSONObject(members))
            })
            print(list.serialized())
        case .jsonPatch:
            print(discrepancies.jsonPatch.jsonValue.serialized())
        }
        if !discrepancies.isEmpty { throw ExitCode(1) }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { fail("\(path): cannot read the file") }
        return Array(data)
    }

    static func sniffJSON(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else { return false }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
    }

    /// Prints a one-line reason and exits with status 2.
    static func fail(_ reason: String) -> Never {
        FileHandle.standardError.write(Data("tapcompare diff: \(reason)\n".utf8))
        Foundation.exit(2)
    }
}
