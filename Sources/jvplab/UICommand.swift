import ArgumentParser
import JVPWeb

struct UICommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ui",
    abstract: "Browse the runs in a web browser: tables, heatmaps, comparisons and scaling plots.",
    discussion: "Serves the database read-only at http://HOST:PORT/ until Ctrl-C or SIGTERM (exit 0). Pages: docs/ui.md.")

  @Option(help: "The address to listen on; 127.0.0.1 serves this machine only.")
  var host: String = "127.0.0.1"

  @Option(help: "The port to listen on (0: any free port; the URL printed says which).")
  var port: Int = 8765

  @Flag(help: "Open the URL in the desktop's browser.")
  var open = false

  @OptionGroup var database: DatabaseOptions

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
  }

  func run() throws {
    var options = WebServer.Options()
    options.host = host
    options.port = port
    try WebServer.serve(database: database.resolved, options: options, openBrowser: open, console: .standard).finish()
  }
}
