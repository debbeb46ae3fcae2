/// "Did you mean …?" for a user's misspelt key or name: the closest known spelling by edit distance, if it is
/// close enough to be the likely intent. One place, so the rule files and the configuration file suggest alike.
public enum Spelling {
    /// The candidate closest to `word` (compared case-insensitively), when at most `max(2, candidate length / 3)`
    /// edits away and not `word` itself; ties go to the first candidate in `candidates`' order.
    public static func closest<S: Sequence<String>>(to word: String, in candidates: S) -> String? {
        let lowered = word.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let d = Self.editDistance(lowered, candidate.lowercased())
            if d <= max(2, candidate.count / 3), best == nil || d < best!.distance { best = (candidate, d) }
        }
        return best?.candidate
    }

    /// Levenshtein distance over UTF-8 bytes (keys are ASCII), two rows of memory.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
