/// Longest-common-subsequence alignment of two sequences, so an element inserted or removed in the middle of
/// an array is one addition or removal rather than a change at every later index.
///
/// A dynamic program over `n × m` cells; callers bound the size (``maxCells``) and fall back to positional
/// pairing beyond it, which still yields a complete (if less tidy) discrepancy list.
enum ArrayAlignment {
    /// One step of an alignment, in order.
    enum Step: Equatable {
        /// Legacy element `i` corresponds to candidate element `j`.
        case pair(Int, Int)
        /// Legacy element `i` has no counterpart.
        case removed(Int)
        /// Candidate element `j` has no counterpart.
        case added(Int)
    }

    /// Aligns `0..<n` with `0..<m` keeping the longest run of pairs for which `matches(i, j)` holds.
    static func lcs(n: Int, m: Int, _ matches: (Int, Int) -> Bool) -> [Step] {
        if n == 0 { return (0..<m).map { .added($0) } }
        if m == 0 { return (0..<n).map { .removed($0) } }
        let width = m + 1
        var table = [Int32](repeating: 0, count: (n + 1) * width)
        // table[i][j] = LCS length of suffixes a[i...] and b[j...]
        var i = n - 1
        while i >= 0 {
            var j = m - 1
            while j >= 0 {
                if matches(i, j) {
                    table[i * width + j] = table[(i + 1) * width + j + 1] + 1
                } else {
                    table[i * width + j] = max(table[(i + 1) * width + j], table[i * width + j + 1])
                }
                j -= 1
            }
            i -= 1
        }
        var steps: [Step] = []
        steps.reserveCapacity(n + m)
        i = 0
        var j = 0
        while i < n && j < m {
            if table[i * width + j] == table[(i + 1) * width + j + 1] + 1 && matches(i, j) {
                steps.append(.pair(i, j))
                i += 1
                j += 1
            } else if table[(i + 1) * width + j] >= table[i * width + j + 1] {
                steps.append(.removed(i))
                i += 1
            } else {
                steps.append(.added(j))
                j += 1
            }
        }
        while i < n {
            steps.append(.removed(i))
            i += 1
        }
        while j < m {
            steps.append(.added(j))
            j += 1
        }
        return steps
    }
}
