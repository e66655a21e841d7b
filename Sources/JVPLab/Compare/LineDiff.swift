/// A unified-style line diff (longest common subsequence), for comparing function sources.
enum LineDiff {
  /// `a` and `b` as lines prefixed `-`, `+` or ` `; empty when they are equal.
  static func unified(_ a: String, _ b: String, labels: (String, String)) -> [String] {
    let x = a.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let y = b.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if x == y { return [] }
    var lcs = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in stride(from: x.count - 1, through: 0, by: -1) {
      for j in stride(from: y.count - 1, through: 0, by: -1) {
        lcs[i][j] = x[i] == y[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
      }
    }
    var lines = ["--- \(labels.0)", "+++ \(labels.1)"]
    var (i, j) = (0, 0)
    while i < x.count || j < y.count {
      if i < x.count && j < y.count && x[i] == y[j] {
        lines.append(" " + x[i])
        i += 1
        j += 1
      } else if i < x.count && (j == y.count || lcs[i + 1][j] >= lcs[i][j + 1]) {
        // Removed lines first, then the lines that replace them, as diff -u prints a change.
        lines.append("-" + x[i])
        i += 1
      } else {
        lines.append("+" + y[j])
        j += 1
      }
    }
    return lines
  }
}
