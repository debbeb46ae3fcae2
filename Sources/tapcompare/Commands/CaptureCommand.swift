import ArgumentParser
import Foundation
import TapCompareApp
import TapCompareCapture
import TapCompareLedger

/// `tapcompare capture import|export`: converts between HAR 1.2 and capture files.
struct CaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Convert captures to and from HAR 1.2 (browser developer tools, mitmproxy, HAR viewers).",
        subcommands: [Import.self, Export.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Read a HAR 1.2 file and write a capture (JSON Lines) that `tapcompare replay` takes."
        )

        @Argument(help: "The HAR file, e.g. from a browser's Network panel ('Save all as HAR') or mitmproxy's hardump.")
        var har: String

        @Option(name: .shortAndLong, help: "The capture file to write.")
        var output: String

        @Option(help: "The YAML configuration whose redact: section applies, as serve's capture applies it (default: Authorization, Proxy-Authorization, Cookie and Set-Cookie only; those are always redacted).")
        var config: String?

        func run() async throws {
            let result: HARImport.Result
            do {
                // The file is read before the HAR, so a mistake in it stops the import before anything is written.
                let configuration = try self.config.map { file throws(ConfigurationError) in try ConfigurationLoader.load(file: file) }
                result = try HARImport.run(har: self.har, output: self.output, redaction: configuration?.ledger.redaction ?? RedactionConfiguration())
            } catch {
                throw CaptureCommand.fail("\(error)")
            }
            print("imported \(result.exchanges) exchanges from \(self.har) into \(self.output)")
            for (reason, count) in result.withheld.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                print("left out \(count) bodies redact.json_paths could not be applied to (\(reason.rawValue))")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Read capture files and write one HAR 1.2 file with the legacy responses, for any HAR viewer."
        )

        @Argument(help: "Capture files (JSON Lines), e.g. captures/traffic.jsonl*.")
        var captures: [String]

        @Option(name: .shortAndLong, help: "The HAR file to write.")
        var output: String

        func run() async throws {
            do {
                var records: [CaptureRecord] = []
                var truncatedEnds: [CaptureTruncatedEnd] = []
                for path in self.captures {
                    let contents = try CaptureFile.contents(path: path)
                    records += contents.records.map(\.record)
                    if let end = contents.truncatedEnd { truncatedEnds.append(end) }
                }
                try HARFile.write(records, path: self.output)
                print("exported \(records.count) exchanges into \(self.output)")
                for end in truncatedEnds { FileHandle.standardError.write(Data("tapcompare: \(end)\n".utf8)) }
            } catch {
                throw CaptureCommand.fail("\(error)")
            }
        }
    }

    /// One line on standard error and exit status 2: the input was wrong, nothing was written.
    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("tapcompare: \(message)\n".utf8))
        return ExitCode(2)
    }
}
