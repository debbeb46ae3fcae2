import Foundation
import TapCompareCore
import TapCompareLedger
import TapCompareMirroring

/// Command-line flags that override the file (`--listen`, `--legacy`, `--candidate`, `--sample-rate`,
/// `--admin`, `--ledger`, `--rules`). A bad flag is an issue of its own, named by the flag.
public struct ConfigurationOverrides: Sendable {
    public var listen: String?
    public var legacy: String?
    public var candidate: String?
    public var sampleRate: String?
    public var admin: String?
    public var ledger: String?
    public var rules: String?

    public init(
        listen: String? = nil, legacy: String? = nil, candidate: String? = nil, sampleRate: String? = nil,
        admin: String? = nil, ledger: String? = nil, rules: String? = nil
    ) {
        self.listen = listen
        self.legacy = legacy
        self.candidate = candidate
        self.sampleRate = sampleRate
        self.admin = admin
        self.ledger = ledger
        self.rules = rules
    }

    /// Applies the flags, then checks what only the combined configuration can tell (legacy is set, the admin
    /// listener is safe, the rules directory exists).
    /// - Parameter file: the configuration file's name for messages, `nil` when none was given.
    public func apply(to configuration: ServeConfiguration, file: String?) throws(ConfigurationError) -> ServeConfiguration {
        var c = configuration
        var issues: [ConfigurationError.Issue] = []
        func flagIssue(_ flag: String, _ message: String) {
            issues.append(.init(file: "command line", key: flag, message: message))
        }
        if let v = self.listen {
            if let a = ListenAddress(parsing: v) { c.listen = a } else { flagIssue("--listen", "'\(v)' is not host:port, e.g. 0.0.0.0:8080") }
        }
        if let v = self.admin {
            if let a = ListenAddress(parsing: v) { c.admin.listen = a } else { flagIssue("--admin", "'\(v)' is not host:port, e.g. 127.0.0.1:9090") }
        }
        if let v = self.legacy {
            do { c.legacy = try UpstreamURL(parsing: v) } catch { flagIssue("--legacy", "'\(v)': \(error.reason)") }
        }
        if let v = self.candidate {
            do { c.candidate = try UpstreamURL(parsing: v) } catch { flagIssue("--candidate", "'\(v)': \(error.reason)") }
        }
        if let v = self.sampleRate {
            if let r = Double(v), r.isFinite, r >= 0, r <= 1 { c.sampleRate = r } else { flagIssue("--sample-rate", "'\(v)' is outside 0…1; write a fraction, e.g. 0.05") }
        }
        if let v = self.ledger {
            do { c.ledger.url = try LedgerURL(parsing: v) } catch { flagIssue("--ledger", error.description) }
        }
        if let v = self.rules { c.rules = v }

        let where_ = file ?? "command line"
        if c.legacy == nil {
            issues.append(.init(file: where_, key: "legacy", message: "no legacy upstream; set 'legacy: http://HOST:PORT' in the file or pass --legacy URL"))
        }
        if !c.admin.listen.isLoopback && (c.admin.token ?? "").isEmpty {
            issues.append(.init(
                file: where_, key: "admin.token",
                message: "the admin listener \(c.admin.listen) is reachable from other machines; set admin.token or listen on 127.0.0.1"
            ))
        }
        if let rules = c.rules {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: rules, isDirectory: &isDirectory) || !isDirectory.boolValue {
                issues.append(.init(file: where_, key: "rules", message: "'\(rules)' is not a directory of rule files"))
            }
        }
        if !issues.isEmpty { throw ConfigurationError(issues: issues) }
        return c
    }
}
