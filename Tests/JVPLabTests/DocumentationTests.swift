import Foundation
import Testing

/// The README and `docs/` stay true to the tree: every relative link (and `#anchor`) resolves,
/// `docs/cli.md` carries the help text of every command and option the built `jvplab` has, and the
/// README's test command is the one CI runs.
@Suite struct DocumentationTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// `README.md` and every `docs/*.md`, as paths relative to the repository root.
  static let pages: [String] = {
    let docs = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)) ?? []
    return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
  }()

  static func text(_ path: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
  }

  /// The Markdown outside fenced code blocks and inline code spans, where links and headings live.
  static func prose(_ markdown: String) -> String {
    var inFence = false
    var lines: [String] = []
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("```") {
        inFence.toggle()
        continue
      }
      if !inFence { lines.append(String(line)) }
    }
    return lines.joined(separator: "\n").replacing(/`[^`]*`/, with: "")
  }

  /// The `#anchor` GitHub gives each heading: lowercased, punctuation dropped, spaces as hyphens.
  static func anchors(_ markdown: String) -> Set<String> {
    var result = Set<String>()
    var inFence = false
    for line in markdown.split(separator: "\n") {
      if line.hasPrefix("```") { inFence.toggle() }
      guard !inFence, let heading = line.firstMatch(of: /^#{1,6} +(.+)$/) else { continue }
      let slug = heading.1.lowercased().filter { $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == "_" }
      result.insert(slug.replacing(" ", with: "-"))
    }
    return result
  }

  @Test func pagesExist() {
    #expect(Self.pages.count >= 6, "README.md and docs/*.md: \(Self.pages)")
  }

  @Test(arguments: pages)
  func relativeLinksResolve(_ page: String) throws {
    let markdown = try Self.text(page)
    let directory = Self.root.appendingPathComponent(page).deletingLastPathComponent()
    let links = Self.prose(markdown).matches(of: /\]\(([^)\s]+)\)/).map { String($0.1) }
    for link in links where !link.contains("://") && !link.hasPrefix("mailto:") {
      let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
      let target = parts[0].isEmpty ? Self.root.appendingPathComponent(page) : directory.appendingPathComponent(parts[0])
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: target.standardizedFileURL.path, isDirectory: &isDirectory)
      #expect(exists, "\(page): the link (\(link)) names no file")
      guard exists, parts.count == 2, target.pathExtension == "md" else { continue }
      let anchors = Self.anchors(try String(contentsOf: target, encoding: .utf8))
      #expect(anchors.contains(parts[1]), "\(page): the link (\(link)) names no heading of \(parts[0].isEmpty ? page : parts[0])")
    }
  }

  /// What `jvplab --experimental-dump-help` says of a command or an argument.
  struct HelpEntry: Decodable {
    struct Name: Decodable {
      var kind: String
      var name: String
    }
    var commandName: String?
    var abstract: String?
    var names: [Name]?
    var subcommands: [HelpEntry]?
    var arguments: [HelpEntry]?
  }

  struct ToolInfo: Decodable {
    var command: HelpEntry
  }

  @Test func cliReferenceCarriesEveryHelpText() throws {
    let lab = try Lab()
    let result = try CommandLineTests().jvplab(["--experimental-dump-help"], in: lab)
    #expect(result.status == 0, "\(result.err)")
    let tool = try JSONDecoder().decode(ToolInfo.self, from: Data(result.out.utf8))
    let reference = try Self.text("docs/cli.md")
    let commands = (tool.command.subcommands ?? []).filter { $0.commandName != "help" }
    #expect(commands.count >= 5)
    // Nested commands too (`jvplab sweep show`), each under a heading of its full name.
    var pending = commands.map { (name: $0.commandName ?? "?", command: $0) }
    while let (name, command) = pending.popLast() {
      pending += (command.subcommands ?? []).map { ("\(name) \($0.commandName ?? "?")", $0) }
      let hasSection = reference.contains("## jvplab \(name)")
      let isDefaultOfGroup = command.subcommands == nil && reference.contains("## jvplab \(name.split(separator: " ")[0])")
      #expect(hasSection || isDefaultOfGroup, "docs/cli.md has no section for jvplab \(name)")
      let abstract = command.abstract ?? ""
      let hasAbstract = reference.contains(abstract)
      #expect(hasAbstract, "docs/cli.md lacks the abstract of jvplab \(name): \(abstract)")
      for argument in command.arguments ?? [] {
        let long = argument.names?.first { $0.kind == "long" }?.name
        guard long != "help", long != "version", let help = argument.abstract else { continue }
        let option = long.map { "--" + $0 } ?? "argument"
        let hasHelp = reference.contains(": " + help)
        #expect(hasHelp, "docs/cli.md lacks the help of jvplab \(name) \(option): \(help)")
        let mentioned = reference.contains("`" + option)
        #expect(long == nil || mentioned, "docs/cli.md does not mention jvplab \(name) \(option)")
      }
    }
  }

  @Test func readmeTestCommandIsWhatCIRuns() throws {
    let ci = try Self.text(".ci/run").split(separator: "\n").map(String.init)
    let command = try #require(ci.last { !$0.isEmpty && !$0.hasPrefix("#") })
    let readme = try Self.text("README.md").split(separator: "\n").map(String.init)
    #expect(readme.contains { $0 == command || $0.hasPrefix(command + " ") }, "README.md does not give CI's command: \(command)")
  }
}
