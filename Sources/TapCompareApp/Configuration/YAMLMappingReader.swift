import TapCompareCore
import TapCompareMirroring
import Yams

/// Reads one YAML mapping of the configuration, checking each value's type and range and collecting every
/// issue with its file, line, column and dotted key, so the user sees all mistakes at once.
final class YAMLMappingReader {
    let file: String
    let prefix: String
    private let pairs: [(key: String, keyMark: Mark?, node: Node)]
    private var consumed: Set<String> = []
    private let collector: IssueCollector
    var sharedCollector: IssueCollector { self.collector }
    private let mark: Mark?

    init(file: String, prefix: String, node: Node, collector: IssueCollector) {
        self.file = file
        self.prefix = prefix
        self.collector = collector
        self.mark = node.mark
        var pairs: [(String, Mark?, Node)] = []
        if let mapping = node.mapping {
            for (key, value) in mapping {
                if let name = key.string {
                    pairs.append((name, key.mark, value))
                } else {
                    collector.add(file: file, mark: key.mark, key: prefix, message: "keys must be plain strings")
                }
            }
        } else if node.scalar?.string.isEmpty == false || node.sequence != nil {
            collector.add(file: file, mark: node.mark, key: prefix, message: "expected a mapping of keys to values")
        }
        self.pairs = pairs
    }

    /// The mapping's keys in file order, for mappings keyed by the user's own names (`cutover.routes`).
    var keys: [String] { self.pairs.map(\.key) }

    func dotted(_ key: String) -> String { self.prefix.isEmpty ? key : "\(self.prefix).\(key)" }

    func node(_ key: String) -> Node? {
        self.consumed.insert(key)
        guard let node = self.pairs.first(where: { $0.key == key })?.node else { return nil }
        if case .scalar(let s) = node, s.tag.rawValue == Tag.Name.null.rawValue || (s.string == "~" || s.string == "null") && s.style == .plain {
            return nil
        }
        return node
    }

    func fail(_ key: String, _ node: Node?, _ message: String) {
        self.collector.add(file: self.file, mark: node?.mark ?? self.mark, key: self.dotted(key), message: message)
    }

    /// Where a key is written, for an issue about the entry it names rather than one of its values.
    func keyMark(_ key: String) -> Mark? {
        self.pairs.first(where: { $0.key == key })?.keyMark
    }

    /// An issue with this mapping as a whole (its key is the prefix), e.g. a `cutover.routes` entry, at `mark`
    /// (its key's position) or the mapping's own.
    func failEntry(_ mark: Mark?, _ message: String) {
        self.collector.add(file: self.file, mark: mark ?? self.mark, key: self.prefix, message: message)
    }

    func string(_ key: String) -> String? {
        guard let node = self.node(key) else { return nil }
        guard let s = node.scalar?.string else {
            self.fail(key, node, "expected a string")
            return nil
        }
        return s
    }

    func bool(_ key: String) -> Bool? {
        guard let node = self.node(key) else { return nil }
        guard let b = node.bool else {
            self.fail(key, node, "expected true or false, got '\(node.scalar?.string ?? "a collection")'")
            return nil
        }
        return b
    }

    func int(_ key: String, min: Int, max: Int = Int.max) -> Int? {
        guard let node = self.node(key) else { return nil }
        guard let i = node.int else {
            self.fail(key, node, "expected a whole number, got '\(node.scalar?.string ?? "a collection")'")
            return nil
        }
        guard i >= min && i <= max else {
            self.fail(key, node, "\(i) is out of range; use \(min)…\(max == Int.max ? "" : String(max))")
            return nil
        }
        return i
    }

    func rate(_ key: String) -> Double? {
        guard let node = self.node(key) else { return nil }
        guard let text = node.scalar?.string, let value = Double(text), value.isFinite else {
            self.fail(key, node, "expected a number between 0 and 1, got '\(node.scalar?.string ?? "a collection")'")
            return nil
        }
        guard value >= 0 && value <= 1 else {
            self.fail(key, node, "\(text) is outside 0…1; write a fraction, e.g. 0.05 for 5%")
            return nil
        }
        return value
    }

    func duration(_ key: String) -> Duration? {
        guard let node = self.node(key) else { return nil }
        guard let text = node.scalar?.string, let d = DurationParser.parse(text) else {
            self.fail(key, node, "'\(node.scalar?.string ?? "a collection")' is not a duration; write e.g. 250ms, 5s, 2m or 1h")
            return nil
        }
        return d
    }

    /// A duration that must be more than zero: `zero` says what a zero would do, for the error.
    func positiveDuration(_ key: String, zero: String) -> Duration? {
        guard let d = self.duration(key) else { return nil }
        guard d > .zero else {
            self.fail(key, self.node(key), "must be more than 0 (\(zero)); write e.g. 5s")
            return nil
        }
        return d
    }

    func bytes(_ key: String) -> Int? {
        guard let node = self.node(key) else { return nil }
        guard let text = node.scalar?.string, let n = ByteSizeParser.parse(text) else {
            self.fail(key, node, "'\(node.scalar?.string ?? "a collection")' is not a size; write bytes or e.g. 64KiB, 1MiB")
            return nil
        }
        return n
    }

    func url(_ key: String) -> UpstreamURL? {
        guard let node = self.node(key) else { return nil }
        guard let text = node.scalar?.string else {
            self.fail(key, node, "expected a URL such as http://127.0.0.1:8000")
            return nil
        }
        do {
            return try UpstreamURL(parsing: text)
        } catch {
            self.fail(key, node, "'\(error.url)': \(error.reason)")
            return nil
        }
    }

    func listenAddress(_ key: String) -> ListenAddress? {
        guard let node = self.node(key) else { return nil }
        guard let text = node.scalar?.string, let address = ListenAddress(parsing: text) else {
            self.fail(key, node, "'\(node.scalar?.string ?? "a collection")' is not host:port, e.g. 127.0.0.1:9090")
            return nil
        }
        return address
    }

    func strings(_ key: String) -> [String]? {
        guard let node = self.node(key) else { return nil }
        guard let sequence = node.sequence else {
            self.fail(key, node, "expected a list, e.g. [X-Api-Key, X-Session]")
            return nil
        }
        var result: [String] = []
        for item in sequence {
            guard let s = item.scalar?.string else {
                self.fail(key, item, "every item must be a string")
                continue
            }
            result.append(s)
        }
        return result
    }

    func mapping(_ key: String) -> YAMLMappingReader? {
        guard let node = self.node(key) else { return nil }
        return YAMLMappingReader(file: self.file, prefix: self.dotted(key), node: node, collector: self.collector)
    }

    func sequence(_ key: String) -> [Node]? {
        guard let node = self.node(key) else { return nil }
        guard let sequence = node.sequence else {
            self.fail(key, node, "expected a list")
            return nil
        }
        return Array(sequence)
    }

    /// Reports every key that was never asked for, with the closest known key as the suggested fix.
    func rejectUnknownKeys() {
        for (key, keyMark, _) in self.pairs where !self.consumed.contains(key) {
            var message = "unknown key"
            if let suggestion = Spelling.closest(to: key, in: self.consumed.sorted()) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += "; known keys here: \(self.consumed.sorted().joined(separator: ", "))"
            }
            self.collector.add(file: self.file, mark: keyMark, key: self.dotted(key), message: message)
        }
    }
}

/// Collects configuration issues in the order they are found.
final class IssueCollector {
    private(set) var issues: [ConfigurationError.Issue] = []

    func add(file: String, mark: Mark?, key: String, message: String) {
        self.issues.append(.init(file: file, line: mark?.line, column: mark?.column, key: key, message: message))
    }
}
