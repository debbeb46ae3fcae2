import Foundation

/// Writes a message to standard error, each line prefixed `tapcompare: `.
func printError(_ message: String) {
    var text = ""
    for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
        text += "tapcompare: \(line)\n"
    }
    FileHandle.standardError.write(Data(text.utf8))
}
