import ArgumentParser
import Foundation
import Logging
import TapCompareApp
import TapCompareLedger
import TapCompareReview

/// `tapcompare ui`: the review UI and its JSON API over a ledger, without the proxy (on loopback unless given a
/// token).
struct UICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Serve the review web UI (/ui) and its JSON API (/api/v1) over a ledger (on loopback unless given a token).",
        discussion: """
            Example: tapcompare ui --ledger sqlite:tapcompare.sqlite --listen 127.0.0.1:9091, then open http://127.0.0.1:9091/ui

            Without a token it listens on loopback only, answers only requests addressed to it (Host 127.0.0.1:PORT or \
            localhost:PORT) and refuses cross-site writes. With a token (--token-file FILE, or the environment \
            variable \(Self.tokenVariable)) every API call needs Authorization: Bearer TOKEN, as on serve's admin \
            listener with admin.token, and it may listen on any address.
            """
    )

    /// The environment variable that holds the token when `--token-file` is not given. The token is never a
    /// command-line value: every local user could read it from the process list.
    static let tokenVariable = "TAPCOMPARE_UI_TOKEN"

    @Option(name: .long, help: ArgumentHelp("The ledger: postgres://user:pass@host:5432/db?sslmode=prefer or sqlite:PATH.", valueName: "url"))
    var ledger: String = "sqlite:tapcompare.sqlite"

    @Option(name: .long, help: ArgumentHelp("Address and port (port 0 picks a free one); loopback unless a token is given.", valueName: "host:port"))
    var listen: String = "127.0.0.1:9091"

    @Option(name: .long, help: ArgumentHelp("The window pages open on (e.g. 24h, 7d, all).", valueName: "duration"))
    var defaultSince: String = "24h"

    @Option(name: .long, help: ArgumentHelp("A file holding the bearer token every API call must carry (surrounding whitespace ignored). Default: $\(Self.tokenVariable), else none.", valueName: "path"))
    var tokenFile: String?

    @Option(name: .long, help: ArgumentHelp("A configuration file whose cutover: block sets what the Cut-over view and /api/v1/verdict judge against.", valueName: "file"))
    var config: String?

    /// The token from `--token-file`, else from ``tokenVariable``; `nil` when neither gives one.
    func token() throws -> String? {
        if let path = self.tokenFile {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ValidationError("--token-file '\(path)' cannot be read; give a file holding the token")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("--token-file '\(path)' is empty; write the token in it") }
            return token
        }
        let fromEnvironment = ProcessInfo.processInfo.environment[Self.tokenVariable]?.trimmingCharacters(in: .whitespacesAndNewlines)
        return fromEnvironment?.isEmpty == false ? fromEnvironment : nil
    }

    func run() async throws {
        let url: LedgerURL
        do {
            url = try LedgerURL(parsing: self.ledger)
        } catch {
            throw ValidationError("--ledger: \(error.message)")
        }
        guard let colon = self.listen.lastIndex(of: ":"), let port = Int(self.listen[self.listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen '\(self.listen)' must be HOST:PORT, e.g. 127.0.0.1:9091")
        }
        var host = String(self.listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let shownHost = host
        var logger = Logger(label: "tapcompare.ui")
        logger.logLevel = .warning
        var cutover = CutoverPolicy()
        if let file = self.config {
            do throws(ConfigurationError) {
                cutover = try ConfigurationLoader.load(file: file).cutover
            } catch {
                printError(error.description)
                throw ExitCode(2)
            }
        }
        let configuration = ReviewServer.Configuration(host: host, port: port, defaultSince: self.defaultSince, token: try self.token(), cutover: cutover)
        do {
            try await ReviewServer.run(url: url, configuration: configuration, logger: logger) { bound in
                // One write per line, flushed: scripts wait for this line to learn the port.
                FileHandle.standardOutput.write(Data("review UI on http://\(shownHost):\(bound)/ui (ledger \(url))\n".utf8))
            }
        } catch let error as ReviewError {
            printError(error.message)
            throw ExitCode(1)
        }
    }
}
