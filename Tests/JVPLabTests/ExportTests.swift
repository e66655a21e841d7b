import Foundation
import JVPCore
import JVPLab
import JVPStore
import Testing

/// `jvplab export`: `.npy` bytes equal to what numpy's own `np.save` writes (fixtures made by
/// tools/numpy_fixtures.py with real numpy), `.npz` members that are those files, and clear errors.
@Suite struct ExportTests {
  static func fixture(_ name: String) throws -> Data {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Fixtures/numpy"))
    return try Data(contentsOf: url)
  }

  /// The arrays tools/numpy_fixtures.py saves, as stored tensors.
  static let cases: [(String, [Int], TensorElements)] = [
    ("float32_2x3", [2, 3], .float32([1.5, -2, 0, 3.25, -0.0, 7])),
    ("float64_5", [5], .float64([0.1, -1e300, .infinity, -.infinity, 2.5])),
    ("int64_scalar", [], .int64([-42])),
    ("bool_2x2x2", [2, 2, 2], .bool([true, false, false, true, true, true, false, false])),
    ("float32_0x4", [0, 4], .float32([])),
  ]

  @Test(arguments: cases.map(\.0))
  func npyMatchesNumpyByteForByte(_ name: String) throws {
    let (_, shape, elements) = try #require(Self.cases.first { $0.0 == name })
    let tensor = try StoredTensor(role: "output", index: [], shape: shape, elements: elements)
    let written = try #require(NumpyArray.file(tensor))
    #expect(written == (try Self.fixture(name)))
    #expect(written.count % 64 == (tensor.data?.count ?? 0) % 64, "the header is padded to 64 bytes")
  }

  @Test func headerBytes() {
    let header = NumpyArray.header(dtype: .float64, shape: [3, 1, 2])
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 1, 2), }"
    #expect(Array(header.prefix(10)) == [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0])
    #expect(String(decoding: header.dropFirst(10), as: UTF8.self) == dict + String(repeating: " ", count: 117 - dict.count) + "\n")
    #expect(NumpyArray.descr(.bool) == "|b1" && NumpyArray.descr(.int64) == "<i8" && NumpyArray.descr(.float32) == "<f4")
  }

  @Test func memberNames() throws {
    func name(_ role: String, _ index: [Int]) throws -> String {
      NumpyArray.memberName(try StoredTensor(role: role, index: index, shape: [], elements: .float32([0])))
    }
    #expect(try name("output", []) == "output")
    #expect(try name("input", [0]) == "input_0")
    #expect(try name("jacobian", [0, 1]) == "jacobian_0_1")
  }

  /// A recorded jacobian run exported as `.npz`: each member is the `.npy` of the stored tensor of that name.
  @Test func npzOfARecordedRun() throws {
    let lab = try Lab()
    lab.run(fn: spec("def f(x, y): return (x * y).sin()", [("x", "rand(3)"), ("y", "rand(3)")], kind: .jacobian))
    let out = lab.directory.appendingPathComponent("j.npz").path
    var request = Export.Request(references: ["1"], database: lab.database)
    request.out = out
    let capture = Capture()
    #expect(Export.run(request, console: capture.console) == .success, "\(capture.err)")
    #expect(capture.err == "jvplab: wrote run 1 to \(out)\n")
    let members = try NumpyArchive.members(try Data(contentsOf: URL(fileURLWithPath: out)))
    let detail = try lab.detail(1)
    #expect(members.map(\.name) == ["input_0", "input_1", "output", "jacobian_0", "jacobian_1"])
    for (name, npy) in members {
      let tensor = try #require(detail.tensors.first { NumpyArray.memberName($0) == name })
      let data = try #require(tensor.data)
      #expect(npy.prefix(npy.count - data.count) == NumpyArray.header(dtype: tensor.dtype, shape: tensor.shape))
      #expect(npy.suffix(data.count) == data, "\(name): the elements are the stored bytes")
    }
    let jacobian = try #require(detail.tensors.first { $0.role == "jacobian" })
    #expect(jacobian.shape == [3, 3])
    // The zip's first local header: signature, then a member stored uncompressed (method 0) as numpy.savez does.
    let zip = try Data(contentsOf: URL(fileURLWithPath: out))
    #expect(Array(zip.prefix(4)) == [0x50, 0x4b, 0x03, 0x04] && zip[8] == 0 && zip[9] == 0)
  }

  @Test func npyDirectoryAndSeveralRuns() throws {
    let lab = try Lab()
    lab.run(fn: spec("x.exp().sum()", [("x", "rand(2, 2)")], kind: .hessian))
    lab.run(fn: spec("x.exp()", [("x", "rand(2)")], kind: .jvp))
    var request = Export.Request(references: ["1", "latest"], database: lab.database)
    request.format = .npy
    request.out = lab.directory.appendingPathComponent("arrays").path
    #expect(Export.run(request, console: Capture().console) == .success)
    let first = try FileManager.default.contentsOfDirectory(atPath: request.out! + "/run-1").sorted()
    #expect(first == ["hessian.npy", "input_0.npy", "output.npy"])
    let hessian = try Data(contentsOf: URL(fileURLWithPath: request.out! + "/run-1/hessian.npy"))
    let stored = try #require(try lab.detail(1).tensors.first { $0.role == "hessian" })
    #expect(hessian == NumpyArray.file(stored))
    #expect(stored.shape == [2, 2, 2, 2])
    #expect(FileManager.default.fileExists(atPath: request.out! + "/run-2/jvp.npy"))

    request.format = .npz
    #expect(Export.run(request, console: Capture().console) == .success)
    let archive = try NumpyArchive.members(try Data(contentsOf: URL(fileURLWithPath: request.out! + "/run-1.npz")))
    #expect(archive.first { $0.name == "hessian" }?.npy == hessian)
  }

  @Test func csvRows() throws {
    let lab = try Lab()
    lab.run(fn: spec("x.exp()", [("x", "rand(2)")], kind: .jvp)) { $0.name = "a,b" }
    var request = Export.Request(references: ["1"], database: lab.database)
    request.format = .csv
    let capture = Capture()
    #expect(Export.run(request, console: capture.console) == .success)
    let lines = capture.out.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines[0].hasPrefix("id,name,kind,fn,"))
    #expect(lines[1].hasPrefix("1,\"a,b\",jvp,"))
  }

  @Test func digestOnlyTensorsAreNamed() throws {
    let lab = try Lab()
    lab.run(fn: spec("x.exp()", [("x", "rand(3)")], kind: .jacobian)) { $0.storeLimit = 4 }
    let capture = Capture()
    let out = lab.directory.appendingPathComponent("x.npz").path
    var request = Export.Request(references: ["1"], database: lab.database)
    request.out = out
    #expect(Export.run(request, console: capture.console) == .usage)
    #expect(capture.err == "jvplab: run 1: jacobian (float32[3, 3]) was stored as digest and summary only (over the run's --store-limit); there are no elements to export\n")
    #expect(!FileManager.default.fileExists(atPath: out), "nothing is written")
  }

  @Test func badReferencesAndOutputs() throws {
    let lab = try Lab()
    lab.run(fn: spec("x.exp()", [("x", "rand(2)")], kind: .jvp))
    var request = Export.Request(references: ["1", "9"], database: lab.database)
    let capture = Capture()
    #expect(Export.run(request, console: capture.console) == .usage)
    #expect(capture.err == "jvplab: no run 9 in \(lab.database)\n")
    request.references = ["1"]
    request.out = "-"
    let stdout = Capture()
    #expect(Export.run(request, console: stdout.console) == .usage)
    #expect(stdout.err == "jvplab: --out -: stdout takes csv only; give --format npz a file or directory\n")
    request.out = lab.directory.appendingPathComponent("missing/dir/x.npz").path
    let unwritable = Capture()
    #expect(Export.run(request, console: unwritable.console) == .usage)
    #expect(unwritable.err.hasPrefix("jvplab: --out: cannot write \(request.out!)"), "\(unwritable.err)")
  }
}
