import ArgumentParser
import TapCompareApp
import TapCompareLedger

/// `tapcompare serve`: the proxy, with mirroring, comparison, ledger and admin listener.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Proxy to legacy, mirror a sample to the candidate, record every discrepancy.",
        discussion: "Every key is documented in tapcompare.example.yml. Flags override the file."
    )

    @Option(name: .long, help: "YAML configuration file (see tapcompare.example.yml).")
    var config: String?

    @Option(name: .long, help: "Where clients connect, host:port (default 0.0.0.0:8080).")
    var listen: String?

    @Option(name: .long, help: "Legacy base URL, http:// or https://, e.g. http://127.0.0.1:8000 (required; TLS settings: upstream_tls in the file).")
    var legacy: String?

    @Option(name: .long, help: "Candidate base URL, http:// or https://, e.g. http://127.0.0.1:8001.")
    var candidate: String?

    @Option(name: .long, help: "Fraction of requests mirrored, 0…1 (default 0.01).")
    var sampleRate: String?

    @Option(name: .long, help: "Admin listener, host:port (default 127.0.0.1:9090).")
    var admin: String?

    @Option(name: .long, help: "Ledger: postgres://… or sqlite:PATH (default sqlite:tapcompare.sqlite).")
    var ledger: String?

    @Option(name: .long, help: "diff-rules directory (default diff-rules when it exists).")
    var rules: String?

    func run() async throws {
        let overrides = ConfigurationOverrides(
            listen: self.listen, legacy: self.legacy, candidate: self.candidate, sampleRate: self.sampleRate,
            admin: self.admin, ledger: self.ledger, rules: self.rules
        )
        let logger = ServeRunner.makeLogger()
        let runner: ServeRunner
        do throws(ConfigurationError) {
            var fromFile = ServeConfiguration()
            if let file = self.config { fromFile = try ConfigurationLoader.load(file: file) }
            let configuration = try overrides.apply(to: fromFile, file: self.config)
            runner = ServeRunner(configuration: configuration, configurationFile: self.config)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        do {
            // The listen pre-flight, the assembly and the run; a listen address taken after the pre-flight is a
            // configuration error too.
            try await runner.serve(logger: logger)
        } catch let error as ConfigurationError {
            printError(error.description)
            throw ExitCode(2)
        } catch let error as LedgerError where error.isSchemaTooNew {
            // Found by the ledger writer's start-up migration (the ledger may be a server that needs the services
            // running to be asked): a user's mistake like a bad key, so the same exit status.
            let fromFile = self.ledger == nil && self.config != nil
            let issue = ConfigurationError.Issue(
                file: fromFile ? self.config! : "command line", key: fromFile ? "ledger.url" : "--ledger", message: error.description
            )
            printError(ConfigurationError(issues: [issue]).description)
            throw ExitCode(2)
        }
    }
}
