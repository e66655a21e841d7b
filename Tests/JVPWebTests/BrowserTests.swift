import Foundation
import Testing

/// Headless Chromium over the pages `jvplab ui` serves for the seed notebook's 13 runs: the runs page
/// lists them, a jacobian's heatmap is drawn on its canvas, the console stays free of errors, and a
/// screenshot of each page lands in `.build/ui-screenshots/` for people to look at. Skipped, with the
/// reason, where no Chromium is installed (`.ci/run` installs Debian's `chromium`).
@Suite(.serialized, .enabled(if: Chromium.path != nil, "Chromium is not installed (apt-get install chromium); the browser checks did not run"))
struct BrowserTests {
  static let screenshots = packageRoot.appendingPathComponent(".build/ui-screenshots")

  /// The seed notebook recorded by the built jvplab, served by `jvplab ui` on a free port.
  final class Served {
    let lab: WebLab
    let server: WebProcessTests.Server
    let url: String

    init() throws {
      lab = try WebLab()
      let record = Process()
      record.executableURL = WebProcessTests.executable
      record.arguments = ["run", packageRoot.appendingPathComponent("examples/seed_notebook.py").path, "--db", lab.database]
      record.standardOutput = FileHandle.nullDevice
      record.standardError = FileHandle.nullDevice
      try record.run()
      record.waitUntilExit()
      try #require(record.terminationStatus == 0, "recording the seed notebook failed")
      server = try WebProcessTests.Server(["--db", lab.database, "--port", "0"], in: lab)
      url = try #require(server.url(), "jvplab ui printed no URL: \(server.err)")
    }

    deinit { _ = server.stop(SIGTERM) }
  }

  @Test func pagesRenderDrawAndLogNoErrors() throws {
    let served = try Served()
    try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)

    // The runs page keeps an event stream open, which stops virtual time: it is read at its load event.
    let runs = try Chromium.dumpDOM(served.url, virtualTime: false, in: served.lab)
    #expect(runs.console.isEmpty, "console messages on the runs page: \(runs.console)")
    let rows = runs.dom.matches(of: /<tr><td><a href="\/runs\/(\d+)">/).map { Int($0.1)! }
    #expect(rows == Array((1...13).reversed()), "the runs page lists the seed notebook's 13 runs")

    // Run 9 is exp_reducer's jacobian: [4] outputs by a [4, 4] input, block diagonal.
    let run = try Chromium.dumpDOM(served.url + "runs/9", in: served.lab)
    #expect(run.console.isEmpty, "console messages on the run page: \(run.console)")
    let canvases = run.dom.matches(of: /<canvas class="(heatmap|sparsity)" data-src="\/runs\/9\/tensors\/2.npy"[^>]*>/).map { String($0.0) }
    #expect(canvases.count == 2)
    for canvas in canvases {
      let width = try #require(canvas.firstMatch(of: /width="(\d+)"/).map { Int($0.1)! })
      let height = try #require(canvas.firstMatch(of: /height="(\d+)"/).map { Int($0.1)! })
      let drawn = try #require(canvas.firstMatch(of: /data-drawn="(\d+)"/).map { Int($0.1)! }, "not drawn: \(canvas)")
      #expect(width == 16 * 22 && height == 4 * 22, "4 × 16 cells of 22 pixels: \(canvas)")
      #expect(drawn == width * height, "every pixel of the canvas painted: \(canvas)")
      #expect(canvas.contains("data-scale=\"2.5619571208953857\""), "the largest |value|, J[0, 0, 2] = exp(x[0, 2])")
      #expect(!canvas.contains("data-error"))
    }

    // Runs 4 and 5 differ in source (2*x, 3*y) and inputs: each tensor gets a map of |a − b|.
    let compare = try Chromium.dumpDOM(served.url + "compare/4/5", in: served.lab)
    #expect(compare.console.isEmpty, "console messages on the compare page: \(compare.console)")
    let differences = compare.dom.matches(of: /<canvas class="heatmap"[^>]*data-mode="absdiff"[^>]*data-drawn="(\d+)"/).map { Int($0.1)! }
    #expect(differences.count == 3 && differences.allSatisfy { $0 > 0 }, "\(differences)")
    let plot = try Chromium.dumpDOM(served.url + "plot?q=kind+%3D+jacobian", in: served.lab)
    #expect(plot.console.isEmpty && occurrences(of: "<circle cx=", in: plot.dom) >= 10)

    for (name, path, height) in [("runs", "", 720), ("run", "runs/9", 1100), ("compare", "compare/4/5", 1000), ("plot", "plot", 620)] {
      let file = Self.screenshots.appendingPathComponent(name + ".png")
      try Chromium.screenshot(served.url + path, to: file, height: height, virtualTime: name != "runs", in: served.lab)
      let png = try Data(contentsOf: file)
      #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "\(name).png is a PNG")
      print("BrowserTests: screenshot \(file.path) (\(png.count) bytes)")
    }
  }

  /// The console check is not vacuous: a page that logs an error is caught.
  @Test func consoleErrorsAreCaught() throws {
    let lab = try WebLab()
    let page = lab.directory.appendingPathComponent("probe.html")
    try "<!DOCTYPE html><p>probe</p><script>console.error('probe failed'); undefinedFunction();</script>".write(to: page, atomically: true, encoding: .utf8)
    let result = try Chromium.dumpDOM(page.absoluteString, in: lab)
    #expect(result.dom.contains("<p>probe</p>"))
    #expect(result.console.contains { $0.contains("probe failed") })
    #expect(result.console.contains { $0.contains("undefinedFunction") })
  }
}

/// Headless Chromium, run as a process with its own profile directory.
enum Chromium {
  static let path: String? = {
    let names = ["chromium", "chromium-browser", "google-chrome"]
    let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
    for name in names {
      for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
        return directory + "/" + name
      }
    }
    return nil
  }()

  /// The DOM after scripts ran (and fetched) for up to 10 s of virtual time, or at the load event when
  /// the page keeps a connection open (virtual time waits for the network), and the console's messages.
  static func dumpDOM(_ url: String, virtualTime: Bool = true, in lab: WebLab) throws -> (dom: String, console: [String]) {
    let budget = virtualTime ? ["--virtual-time-budget=10000"] : []
    let (out, err) = try run(budget + ["--enable-logging=stderr", "--v=0", "--dump-dom", url], in: lab)
    let console = err.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }.map(String.init)
    return (out, console)
  }

  static func screenshot(_ url: String, to file: URL, height: Int, virtualTime: Bool, in lab: WebLab) throws {
    let budget = virtualTime ? ["--virtual-time-budget=10000"] : []
    _ = try run(budget + ["--hide-scrollbars", "--window-size=1280,\(height)", "--screenshot=\(file.path)", url], in: lab)
  }

  private static func run(_ arguments: [String], in lab: WebLab) throws -> (String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(path))
    let profile = lab.directory.appendingPathComponent("chromium-\(UUID().uuidString)")
    process.arguments = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--user-data-dir=\(profile.path)"] + arguments
    let outURL = lab.directory.appendingPathComponent("chromium-out-\(UUID().uuidString)")
    let errURL = lab.directory.appendingPathComponent("chromium-err-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (try String(contentsOf: outURL, encoding: .utf8), try String(contentsOf: errURL, encoding: .utf8))
  }
}
