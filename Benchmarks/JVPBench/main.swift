import Foundation

/// `swift run -c release jvplab-bench [SUITE...]`: runs the named benchmark suites (all by default)
/// and prints a table of medians per case. Numbers quoted in the README come from this command.
let suites = BenchmarkSuites.all

let requested = Array(CommandLine.arguments.dropFirst())
let unknown = requested.filter { name in !suites.contains { $0.name == name } }
if !unknown.isEmpty {
  FileHandle.standardError.write(Data("jvplab-bench: unknown suite \(unknown.joined(separator: ", ")); suites: \(suites.map(\.name).joined(separator: ", "))\n".utf8))
  exit(2)
}
for suite in suites where requested.isEmpty || requested.contains(suite.name) {
  print("## \(suite.name)")
  do {
    try suite.run()
  } catch {
    FileHandle.standardError.write(Data("jvplab-bench: \(suite.name) failed: \(error)\n".utf8))
    exit(1)
  }
}
