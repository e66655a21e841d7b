import ArgumentParser
import JVPLab

extension Export.Format: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write runs' tensors as numpy .npz or .npy files, or the runs as CSV rows.",
    discussion: """
      npz: one archive per run (members input_0, jacobian_0_1, output, ...), read by numpy.load unchanged.
      npy: a directory per run with one .npy file per tensor. csv: the runs' rows as query --format csv prints them.
      """)

  @Argument(help: ArgumentHelp("The runs: ids, latest, latest~N, or uuid:PREFIX.", valueName: "run"))
  var references: [String]

  @Option(help: "Output: npz, npy or csv.")
  var format: Export.Format = .npz

  @Option(help: "The file (npz of one run, csv; - for csv on stdout) or directory (npy, several runs) to write.")
  var out: String?

  @OptionGroup var database: DatabaseOptions

  func validate() throws {
    if references.isEmpty { throw ValidationError("name at least one run to export") }
  }

  func run() throws {
    var request = Export.Request(references: references, database: database.resolved)
    request.format = format
    request.out = out
    try Export.run(request, console: .standard).finish()
  }
}
