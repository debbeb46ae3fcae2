import ArgumentParser
import Foundation
import TapCompareRules

/// `tapcompare rules ...`: work with `diff-rules/`.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Validate diff rules.",
        subcommands: [Check.self]
    )

    /// `tapcompare rules check DIR`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every rule file in a directory.",
            discussion: "Prints each mistake as file:line:column: reason. Exit status: 0 when valid, 2 on any mistake."
        )

        @Argument(help: "The rules directory, e.g. diff-rules/.")
        var directory: String

        func run() throws {
            do {
                let set = try RuleSetLoader.load(directory: self.directory)
                print("\(self.directory): \(set.rules.count) rules in \(set.files.count) file\(set.files.count == 1 ? "" : "s"), no mistakes")
            } catch {
                for diagnostic in error.diagnostics {
                    FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
                }
                throw ExitCode(2)
            }
        }
    }
}
