import Foundation
import Hummingbird
import HummingbirdTesting
import JVPCore
import JVPLab
import JVPScript
import JVPStore
@testable import JVPWeb
import Testing

/// What `jvplab ui` must never do: run markup from the store, write the store, reach other files.
@Suite struct WebSecurityTests {
  static let script = "<script>alert(1)</script>"

  @Test func storeStringsAreEscapedOnEveryPage() async throws {
    let lab = try WebLab()
    lab.record("x.exp()", [("x", "rand(3)")], kind: .jvp, name: Self.script, tags: ["<b>k</b>": "\"><img src=x onerror=alert(2)>"])
    lab.record("x.exp()", [("x", "rand(3)")], kind: .jvp, name: Self.script)
    let pages = try await lab.get(["/", "/runs/1", "/compare/1/2", "/plot?series=name", "/?q=name+%3D+%22%3Cscript%3E%22"])
    for (n, page) in pages.enumerated() {
      let html = page.text
      #expect(!html.contains("<script>alert"), "page \(n) carries the run's name as markup")
      #expect(!html.contains("<img src=x"), "page \(n) carries a tag as markup")
      #expect(!html.contains("<b>k</b>"))
    }
    #expect(pages[0].text.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"))
    #expect(pages[0].text.contains("<span class=\"tag\">&lt;b&gt;k&lt;/b&gt;=&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</span>"))
    #expect(pages[1].text.contains("<span class=\"name\">&lt;script&gt;alert(1)&lt;/script&gt;</span>"))
    #expect(pages[3].text.contains("&lt;script&gt;alert(1)&lt;/scri (2)"))
    #expect(pages[4].text.contains("value=\"name = &quot;&lt;script&gt;&quot;\""), "the filter echoed in the search box")
    // The only script element on a page is the site's own.
    for page in pages { #expect(occurrences(of: "<script", in: page.text) == 1) }
  }

  @Test func noRequestWritesTheStore() async throws {
    let lab = try WebLab()
    lab.record("x.exp()", [("x", "rand(3)")], kind: .jvp)
    let before = try Data(contentsOf: URL(fileURLWithPath: lab.database))
    let files = try FileManager.default.contentsOfDirectory(atPath: lab.directory.path).sorted()
    let app = Application(router: WebServer.router(try lab.site()))
    let statuses = try await app.test(.router) { client in
      var statuses: [HTTPResponse.Status] = []
      for method in [HTTPRequest.Method.post, .put, .delete, .patch] {
        for uri in ["/", "/runs/1", "/api/runs", "/api/runs/1"] {
          statuses.append(try await client.execute(uri: uri, method: method, body: ByteBuffer(string: "{}")).status)
        }
      }
      for uri in ["/", "/runs/1", "/runs/1.npz", "/api/runs", "/runs.csv", "/compare/1/1", "/plot"] {
        _ = try await client.execute(uri: uri, method: .get)
      }
      return statuses
    }
    #expect(statuses.allSatisfy { $0.code >= 400 }, "\(statuses)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: lab.database)) == before)
    #expect(try lab.store().runs(matching: RunQuery()).count == 1)
    let after = try FileManager.default.contentsOfDirectory(atPath: lab.directory.path).sorted()
    #expect(after.filter { !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") } == files.filter { !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") })
  }

  /// The event stream announces the state at once, and again when another connection records a run.
  @Test func eventStreamSeesAnotherWritersCommit() async throws {
    let lab = try WebLab()
    lab.record("x.exp()", [("x", "rand(3)")], kind: .jvp)
    var options = WebServer.Options()
    options.pollInterval = .milliseconds(20)
    var events = WebServer.eventTexts(try lab.site(), options: options).makeAsyncIterator()
    #expect(await events.next() == "retry: 1000\n\nevent: runs\ndata: {\"count\":1,\"latest\":1}\n\n")
    lab.record("x.sin()", [("x", "rand(2)")], kind: .jvp)
    #expect(await events.next() == "event: runs\ndata: {\"count\":2,\"latest\":2}\n\n")
  }

  /// Over HTTP: an event stream, with its first event, that ends after its lifetime.
  @Test func eventStreamOverHTTP() async throws {
    let lab = try WebLab()
    lab.record("x.exp()", [("x", "rand(3)")], kind: .jvp)
    var options = WebServer.Options()
    options.pollInterval = .milliseconds(20)
    options.streamLifetime = .milliseconds(100)
    let response = try await lab.get(["/events"], options: options)[0]
    #expect(response.headers[.contentType] == "text/event-stream")
    #expect(response.text == "retry: 1000\n\nevent: runs\ndata: {\"count\":1,\"latest\":1}\n\n")
  }

  @Test func queryStringsDecodeAsBrowsersEncodeThem() {
    #expect(WebSite.parameters("q=kind+%3D+jvp&sort=-id&q=ignored&flag") == ["q": "kind = jvp", "sort": "-id", "flag": ""])
    #expect(WebSite.parameters(nil) == [:])
    #expect(WebSite.parameters("q=%zz") == ["q": "%zz"])
  }
}
