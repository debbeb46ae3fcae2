import Foundation
import TapCompareComparison
import TapCompareCore
import TapCompareJSON
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy
import TapCompareReview
import TapCompareStoreChecks
import Yams

/// Loads `serve`'s YAML configuration. Every key is checked: an unknown key, a bad URL, a rate outside 0…1 or a
/// malformed duration is an issue naming the file, line, key and fix; all issues are reported together.
public enum ConfigurationLoader {
    /// Reads and validates a configuration file.
    /// - Throws: ``ConfigurationError`` with every issue found.
    public static func load(file path: String) throws(ConfigurationError) -> ServeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(issues: [.init(file: path, key: "", message: "cannot read the file (\(Self.reason(error)))")])
        }
        return try self.load(yaml: text, file: path)
    }

    /// Validates configuration text; `file` is the name used in messages.
    public static func load(yaml: String, file: String) throws(ConfigurationError) -> ServeConfiguration {
        let root: Node
        do {
            root = try Yams.compose(yaml: yaml) ?? Node.mapping(.init([]))
        } catch let error as YamlError {
            throw ConfigurationError(issues: [Self.issue(for: error, file: file)])
        } catch {
            throw ConfigurationError(issues: [.init(file: file, key: "", message: "not valid YAML (\(error))")])
        }
        let collector = IssueCollector()
        let reader = YAMLMappingReader(file: file, prefix: "", node: root, collector: collector)
        let configuration = Self.read(reader)
        if !collector.issues.isEmpty { throw ConfigurationError(issues: collector.issues) }
        return configuration
    }

    /// Reads every key of the file, section by section (`ConfigurationLoader+Sections.swift`); issues go to
    /// `r`'s collector.
    static func read(_ r: YAMLMappingReader) -> ServeConfiguration {
        var c = ServeConfiguration()
        Self.readTopLevel(r, into: &c)
        Self.readNetwork(r, into: &c)
        Self.readStores(r, into: &c)
        Self.readRoutes(r, into: &c)
        Self.readPipeline(r, into: &c)
        Self.readGRPC(r, into: &c)
        Self.readClassification(r, into: &c)
        Self.readOperations(r, into: &c)
        r.rejectUnknownKeys()
        return c
    }

    /// One block of `upstream_tls:`, e.g. `candidate: { ca_file: staging-ca.pem }`.
    static func upstreamTLS(_ parent: YAMLMappingReader, _ key: String) -> UpstreamTLS? {
        guard let m = parent.mapping(key) else { return nil }
        var tls = UpstreamTLS()
        // An empty value (`ca_file:` as in the example file) means the default: the system trust store.
        tls.caFile = m.string("ca_file").flatMap { $0.isEmpty ? nil : $0 }
        if let v = m.bool("insecure") { tls.insecure = v }
        if tls.insecure, tls.caFile != nil {
            m.fail("insecure", parent.node(key), "'insecure: true' verifies nothing, so 'ca_file' would be ignored; keep one of them")
        }
        m.rejectUnknownKeys()
        return tls
    }

    static func sampleKey(_ text: String) -> SampleKey? {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else { return nil }
        switch parts[0].lowercased() {
        case "header": return HTTPToken.isValid(parts[1]) ? .header(parts[1]) : nil
        case "query": return .queryParameter(parts[1])
        default: return nil
        }
    }

    /// Whether `s` is an HTTP header name (an RFC 9110 token), for flags that name headers as the file does.
    public static func isHeaderName(_ s: String) -> Bool { HTTPToken.isValid(s) }

    static func issue(for error: YamlError, file: String) -> ConfigurationError.Issue {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return .init(file: file, line: mark.line, column: mark.column, key: "", message: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .init(file: file, line: context.mark.line, column: context.mark.column, key: duplicates.joined(separator: ", "), message: "key appears more than once")
        default:
            return .init(file: file, key: "", message: "not valid YAML: \(error)")
        }
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
