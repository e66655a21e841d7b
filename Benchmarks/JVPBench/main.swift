import Foundation
import JVPLab

/// `swift run -c release jvplab-bench [SUITE...] [--json] [--quick] [--torch FILE]`: runs the named benchmark
/// suites (all by default) and prints a table of medians per case (`--json`: one JSON object per suite, one
/// per line, for Benchmarks/compare_torch.py). Numbers quoted in docs/performance.md come from this command.
let suites = BenchmarkSuites.all
// As jvplab itself runs, so the medians are the ones `jvplab run --repeat` stores.
MemoryTuning.keepWorkingMemoryResident()

var options = BenchOptions()
var requested: [String] = []
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
  let argument = arguments.removeFirst()
  switch argument {
  case "--json": options.json = true
  case "--quick": options.quick = true
  case "--kernels-only": options.kernelsOnly = true
  case "--torch":
    guard !arguments.isEmpty else { FileHandle.standardError.write(Data("jvplab-bench: --torch needs a file\n".utf8)); exit(2) }
    options.torchTimings = arguments.removeFirst()
  case "--only":
    guard !arguments.isEmpty else { FileHandle.standardError.write(Data("jvplab-bench: --only needs a text\n".utf8)); exit(2) }
    options.only = arguments.removeFirst()
  case "--memory-probe":
    // Internal: the engine suite measures peak memory in a child process of its own binary.
    let n = arguments.first.flatMap { Int($0) } ?? 2048
    do {
      print(JSON.object(try EngineSuite.memoryProbe(n)).text)
      exit(0)
    } catch {
      FileHandle.standardError.write(Data("jvplab-bench: memory probe failed: \(error)\n".utf8))
      exit(1)
    }
  default: requested.append(argument)
  }
}
let unknown = requested.filter { name in !suites.contains { $0.name == name } }
if !unknown.isEmpty {
  FileHandle.standardError.write(Data("jvplab-bench: unknown suite \(unknown.joined(separator: ", ")); suites: \(suites.map(\.name).joined(separator: ", "))\n".utf8))
  exit(2)
}
for suite in suites where requested.isEmpty || requested.contains(suite.name) {
  if !options.json { print("## \(suite.name)") }
  do {
    try suite.run(options)
  } catch {
    FileHandle.standardError.write(Data("jvplab-bench: \(suite.name) failed: \(error)\n".utf8))
    exit(1)
  }
}
