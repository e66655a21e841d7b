import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JVPLab
import Testing

/// `jvplab ui` as a whole process: the URL it prints, a clean exit 0 on SIGINT and SIGTERM, one line
/// and exit 2 for a port in use or a database the other commands refuse, with their words.
@Suite(.serialized) struct WebProcessTests {
  static let executable = packageRoot.appendingPathComponent(".build/debug/jvplab")

  /// A running `jvplab ui`, its stdout and stderr in files of the lab.
  final class Server {
    let process = Process()
    let outURL: URL
    let errURL: URL

    init(_ arguments: [String], in lab: WebLab) throws {
      outURL = lab.directory.appendingPathComponent("out-\(UUID().uuidString)")
      errURL = lab.directory.appendingPathComponent("err-\(UUID().uuidString)")
      FileManager.default.createFile(atPath: outURL.path, contents: nil)
      FileManager.default.createFile(atPath: errURL.path, contents: nil)
      process.executableURL = WebProcessTests.executable
      process.arguments = ["ui"] + arguments
      process.currentDirectoryURL = lab.directory
      process.standardOutput = try FileHandle(forWritingTo: outURL)
      process.standardError = try FileHandle(forWritingTo: errURL)
      process.standardInput = FileHandle.nullDevice
      try process.run()
    }

    deinit { if process.isRunning { process.terminate() } }

    var out: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var err: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// The URL the server printed, once it listens (nil if it exited or printed nothing in 60 s).
    func url() -> String? {
      for _ in 0..<600 {
        if let line = out.split(separator: "\n").first { return String(line) }
        if !process.isRunning { return nil }
        Thread.sleep(forTimeInterval: 0.1)
      }
      return nil
    }

    func stop(_ signal: Int32) -> Int32 {
      kill(process.processIdentifier, signal)
      process.waitUntilExit()
      return process.terminationStatus
    }

    func wait() -> Int32 {
      process.waitUntilExit()
      return process.terminationStatus
    }
  }

  static func seeded() throws -> WebLab {
    let lab = try WebLab()
    lab.record("x.exp()", [("x", "rand(3)")], kind: .jvp)
    return lab
  }

  static func get(_ url: String) throws -> String {
    try String(contentsOf: URL(string: url)!, encoding: .utf8)
  }

  @Test(arguments: [SIGINT, SIGTERM])
  func servesUntilSignalledThenExitsZero(_ signal: Int32) throws {
    let lab = try Self.seeded()
    let server = try Server(["--db", lab.database, "--port", "0"], in: lab)
    let url = try #require(server.url(), "no URL: \(server.err)")
    #expect(url.wholeMatch(of: /http:\/\/127\.0\.0\.1:\d+\//) != nil, "\(url)")
    #expect(server.err == "jvplab: serving \(lab.database) read-only at \(url) (Ctrl-C stops)\n")
    #expect(try Self.get(url).contains("<span id=\"run-count\">1</span> run"))
    // An open event stream does not hold up the shutdown.
    let stream = URLSession.shared.dataTask(with: URL(string: url + "events")!)
    stream.resume()
    Thread.sleep(forTimeInterval: 0.3)
    #expect(server.stop(signal) == 0, "\(server.err)")
    stream.cancel()
  }

  @Test func portInUseIsOneLineAndExitTwo() throws {
    let lab = try Self.seeded()
    let first = try Server(["--db", lab.database, "--port", "0"], in: lab)
    let url = try #require(first.url())
    let port = try #require(url.firstMatch(of: /:(\d+)\//)?.1)
    let second = try Server(["--db", lab.database, "--port", String(port)], in: lab)
    #expect(second.wait() == 2)
    #expect(second.err == "jvplab: cannot listen on 127.0.0.1:\(port): the port is in use (choose another with --port)\n")
    #expect(second.out.isEmpty)
    #expect(first.stop(SIGTERM) == 0)
  }

  /// A database the other commands refuse is refused with their message, before anything listens.
  @Test(arguments: ["missing", "garbage"])
  func unreadableDatabaseIsTheCommandLinesMessage(_ kind: String) throws {
    let lab = try WebLab()
    if kind == "garbage" { try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: lab.database)) }
    let server = try Server(["--db", lab.database, "--port", "0"], in: lab)
    #expect(server.wait() == 2)
    let process = Process()
    process.executableURL = Self.executable
    process.arguments = ["query", "--db", lab.database]
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let expected = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 2)
    #expect(server.err == expected)
    #expect(expected.hasPrefix("jvplab: ") && expected.contains(lab.database))
  }

  @Test func badPortIsAUsageError() throws {
    let lab = try Self.seeded()
    let server = try Server(["--db", lab.database, "--port", "70000"], in: lab)
    #expect(server.wait() == 2)
    #expect(server.err.contains("--port must be between 0 and 65535, got 70000"))
  }
}
