import Foundation
import TapCompareCore
import TapCompareLedger
import TapCompareMirroring
import TapCompareProxy

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
            do { c.legacy = try UpstreamURL(parsing: v) } catch { flagIssue("--legacy", "'\(error.url)': \(error.reason)") }
        }
        if let v = self.candidate {
            do { c.candidate = try UpstreamURL(parsing: v) } catch { flagIssue("--candidate", "'\(error.url)': \(error.reason)") }
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
        issues += Self.checkTLSFiles(c, file: where_)
        if !issues.isEmpty { throw ConfigurationError(issues: issues) }
        return c
    }

    /// Reads every certificate, key and CA file the configuration names, so a missing or wrong file stops
    /// start-up with its key instead of failing every connection later. A `ca_file` is checked even for an
    /// `http://` upstream: naming one says the user means TLS, and a wrong path should not wait for the switch.
    static func checkTLSFiles(_ c: ServeConfiguration, file: String) -> [ConfigurationError.Issue] {
        var issues: [ConfigurationError.Issue] = []
        if let tls = c.tls {
            do {
                _ = try tls.makeServerContext()
            } catch {
                let key = error.role == .certificate ? "tls.certificate" : "tls.key"
                let fix = error.role == .certificate
                    ? "give the PEM file of the listener's certificate (then any intermediates)"
                    : "give the PEM file of the certificate's private key"
                issues.append(.init(file: file, key: key, message: "\(error.description); \(fix)"))
            }
        }
        let upstreams: [(String, UpstreamTLS?)] = [
            ("legacy", c.upstreamTLS.legacy),
            ("candidate", c.upstreamTLS.candidate),
            // `nil` when it inherits legacy's, already checked above.
            ("secondary", c.upstreamTLS.secondary),
        ]
        for (name, tls) in upstreams {
            guard let tls, tls.caFile != nil else { continue }
            do {
                _ = try tls.makeClientConfiguration()
            } catch {
                issues.append(.init(
                    file: file, key: "upstream_tls.\(name).ca_file",
                    message: "\(error.description); give a PEM file of the CA certificates that sign \(name)'s certificate"
                ))
            }
        }
        return issues
    }
}
