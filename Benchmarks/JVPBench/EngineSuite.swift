import Dispatch
import Foundation
import JVPCore
import JVPKernels
import JVPLab

/// `jvplab-bench engine`: the engine's transforms timed in-process, called the way a user calls them
/// (`Autodiff.jvp(f, ...)` on a `TracedFunction` traced once), against PyTorch's medians for the same cases.
///
/// Also reports the one-time costs (tracing, first call), the machine bound of jvp 2048x2048 (one SIMD pass
/// reading x and v) and the peak memory of that jvp, measured in a child process.
enum EngineSuite {
  /// One timed case. `torch` lists reference keys; the ratio is taken against the fastest of them.
  struct Case {
    let name: String
    let spec: [(String, JSON)]
    let torch: [String]
    let target: Double?
    let body: () throws -> Void
  }

  struct Result {
    let c: Case
    let timing: Timing
    let torchKey: String?
    let torchMedian: Double?
    var ratio: Double? { torchMedian.map { timing.median / $0 } }
    var met: Bool? { c.target.flatMap { t in ratio.map { $0 <= t } } }
  }

  // MARK: Functions of the seed notebook and the Rosenbrock function

  static func float32(_ shape: [Int]) -> TensorType { TensorType(shape: shape, dtype: .float32) }

  static func expReducer(_ n: Int) throws -> TracedFunction {
    try TracedFunction.trace(inputTypes: [float32([n, n])], inputsAreTuple: false) { x in
      ([try x[0].exp().sum(dims: [1])], false)
    }
  }

  static func double2() throws -> TracedFunction {
    try TracedFunction.trace(inputTypes: [float32([2])], inputsAreTuple: false) { x in ([try 2 * x[0]], false) }
  }

  static func adder() throws -> TracedFunction {
    try TracedFunction.trace(inputTypes: [float32([2]), float32([2])], inputsAreTuple: true) { x in
      ([try 2 * x[0] + 3 * x[1]], false)
    }
  }

  /// sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2), float64.
  static func rosenbrock(_ n: Int) throws -> TracedFunction {
    try TracedFunction.trace(inputTypes: [TensorType(shape: [n], dtype: .float64)], inputsAreTuple: false) { x in
      let head = try x[0].slice(dim: 0, start: nil, stop: -1)
      let tail = try x[0].slice(dim: 0, start: 1, stop: nil)
      return ([try (100 * (tail - head.pow(2)).pow(2) + (1 - head).pow(2)).sum()], false)
    }
  }

  // MARK: Cases

  static func cases() throws -> [Case] {
    var generator = TorchGenerator()
    generator.manualSeed(42)
    var cases: [Case] = []
    let jvpTargets: [Int: Double] = [4: 0.05, 64: 0.1, 512: 0.5, 2048: 0.7]
    for n in [4, 64, 512, 2048] {
      let f = try expReducer(n)
      let x = generator.rand([n, n], dtype: .float32)
      let v = Tensor(repeating: 1, shape: [n, n], dtype: .float32)
      let key = "jvp exp_reducer \(n)x\(n)"
      cases.append(Case(
        name: key, spec: [("kind", .string("jvp")), ("fn", .string("exp_reducer")), ("n", .int(Int64(n)))],
        torch: [key + " autograd.functional", key + " torch.func"], target: jvpTargets[n]) {
          _ = try Autodiff.jvp(f, inputs: [x], tangents: [v])
        })
    }
    let variants: [(JacobianStrategy, Bool, String)] = [
      (.reverseMode, false, "reverse"), (.reverseMode, true, "reverse-vectorized"),
      (.forwardMode, false, "forward"), (.forwardMode, true, "forward-vectorized"), (.auto, false, "auto"),
    ]
    for n in [4, 16, 48] {
      let f = try expReducer(n)
      let x = generator.rand([n, n], dtype: .float32)
      let key = "jacobian exp_reducer \(n)x\(n)"
      for (strategy, vectorize, label) in variants {
        let torch: [String] = switch label {
        case "reverse", "reverse-vectorized", "forward-vectorized": ["\(key) \(label)"]
        case "auto": ["reverse", "reverse-vectorized", "forward-vectorized"].map { "\(key) \($0)" }
        default: []
        }
        let target: Double? = label == "auto" ? [16: 0.1, 48: 0.2][n] : nil
        cases.append(Case(
          name: "\(key) \(label)",
          spec: [("kind", .string("jacobian")), ("fn", .string("exp_reducer")), ("n", .int(Int64(n))),
                 ("strategy", .string(strategy.rawValue)), ("vectorize", .bool(vectorize))],
          torch: torch, target: target) {
            _ = try Autodiff.jacobian(f, inputs: [x], strategy: strategy, vectorize: vectorize)
          })
      }
    }
    let rosen = try rosenbrock(100)
    let r = generator.rand([100], dtype: .float64)
    let rv = Tensor(repeating: 1, shape: [100], dtype: .float64)
    // The outer jacobian of the hessian, per strategy. PyTorch's counterparts: F.hessian with the same
    // outer_jacobian_strategy and vectorize, and torch.func.hessian (vectorized forward-over-reverse).
    let hessianKey = "hessian rosenbrock 100"
    for (strategy, vectorize, label) in variants {
      let torch: [String] = switch label {
      case "reverse", "reverse-vectorized": ["\(hessianKey) \(label)"]
      case "forward-vectorized": ["\(hessianKey) \(label)", "\(hessianKey) torch.func"]
      case "auto": ["reverse", "reverse-vectorized", "forward-vectorized", "torch.func"].map { "\(hessianKey) \($0)" }
      default: []
      }
      cases.append(Case(
        name: "\(hessianKey) \(label)",
        spec: [("kind", .string("hessian")), ("fn", .string("rosenbrock")), ("n", .int(100)),
               ("strategy", .string(strategy.rawValue)), ("vectorize", .bool(vectorize))],
        torch: torch, target: label == "auto" ? 0.2 : nil) {
          _ = try Autodiff.hessian(rosen, inputs: [r], outerStrategy: strategy, vectorize: vectorize)
        })
    }
    cases.append(Case(
      name: "hvp rosenbrock 100", spec: [("kind", .string("hvp")), ("fn", .string("rosenbrock")), ("n", .number(100))],
      torch: ["hvp rosenbrock 100 autograd.functional"], target: nil) {
        _ = try Autodiff.hvp(rosen, inputs: [r], vectors: [rv])
      })
    let f = try double2()
    let fx = generator.rand([2], dtype: .float32)
    let fv = Tensor(shape: [2], float32: [1, 2])
    cases.append(Case(
      name: "jvp f 2", spec: [("kind", .string("jvp")), ("fn", .string("f")), ("n", .number(2))],
      torch: ["jvp f 2 autograd.functional"], target: nil) {
        _ = try Autodiff.jvp(f, inputs: [fx], tangents: [fv])
      })
    let add = try adder()
    let a = generator.rand([2], dtype: .float32)
    let b = generator.rand([2], dtype: .float32)
    let av = [Tensor(shape: [2], float32: [1, 2]), Tensor(shape: [2], float32: [2, 3])]
    cases.append(Case(
      name: "jvp adder 2+2", spec: [("kind", .string("jvp")), ("fn", .string("adder")), ("n", .number(2))],
      torch: ["jvp adder 2+2 autograd.functional"], target: nil) {
        _ = try Autodiff.jvp(add, inputs: [a, b], tangents: av)
      })
    return cases
  }

  // MARK: One-time costs

  /// Tracing alone, and tracing plus the first call (which builds and caches the transformed graph and its plan).
  static func oneTimeCosts(_ options: BenchOptions) throws -> [(String, Timing, Timing)] {
    let minTime = options.quick ? 0.05 : 0.3
    var generator = TorchGenerator()
    generator.manualSeed(7)
    let x4 = generator.rand([4, 4], dtype: .float32)
    let ones4 = Tensor(repeating: 1, shape: [4, 4], dtype: .float32)
    let r = generator.rand([100], dtype: .float64)
    let entries: [(String, () throws -> TracedFunction, (TracedFunction) throws -> Void)] = [
      ("exp_reducer 4x4, jvp", { try expReducer(4) }, { _ = try Autodiff.jvp($0, inputs: [x4], tangents: [ones4]) }),
      ("exp_reducer 4x4, jacobian auto", { try expReducer(4) }, { _ = try Autodiff.jacobian($0, inputs: [x4], strategy: .auto) }),
      ("rosenbrock 100, hessian", { try rosenbrock(100) }, { _ = try Autodiff.hessian($0, inputs: [r]) }),
    ]
    return try entries.map { name, trace, call in
      let tracing = try Timing.measure(minTime: minTime) { _ = try trace() }
      let first = try Timing.measure(minTime: minTime) { try call(try trace()) }
      return (name, tracing, first)
    }
  }

  // MARK: Machine bound and memory of jvp 2048x2048

  /// The exp_reducer jvp's operands: x = rand(n, n) after manual_seed(42), v = ones.
  static func jvpOperands(_ n: Int) -> (x: [Float], v: [Float]) {
    var generator = TorchGenerator()
    generator.manualSeed(42)
    guard case .float32(let x) = generator.rand([n, n], dtype: .float32).storage else {
      preconditionFailure("rand with dtype float32 returns float32 storage")
    }
    return (x, [Float](repeating: 1, count: n * n))
  }

  /// The jvp of exp_reducer n x n against two hand-written passes over the same x and v, timed alternately
  /// (`Timing.alternate`): the machine bound, and the jvp's own arithmetic without the engine.
  static func boundComparison(_ n: Int, minTime: Double) throws -> (bound: Timing, expPass: Timing, jvp: Timing) {
    let (x, v) = jvpOperands(n)
    let f = try expReducer(n)
    let (tx, tv) = (Tensor(shape: [n, n], float32: x), Tensor(shape: [n, n], float32: v))
    let timings = try Timing.alternate(minTime: minTime, [
      { machineBound(x, v, n) },
      { expPass(x, v, n) },
      { _ = try Autodiff.jvp(f, inputs: [tx], tangents: [tv]) },
    ])
    return (timings[0], timings[1], timings[2])
  }

  /// One plain SIMD pass that reads x and v once (row sums of x*v, both cores): what any jvp must at least pay.
  static func machineBound(_ x: [Float], _ v: [Float], _ n: Int) {
    onAllCores(x, v, n, outputsPerRow: 1) { rows, x, v, out in
      for row in rows {
        var acc = SIMD16<Float>()
        var j = 0
        let base = row * n
        while j + 16 <= n {
          let a = UnsafeRawPointer(x + base + j).loadUnaligned(as: SIMD16<Float>.self)
          let b = UnsafeRawPointer(v + base + j).loadUnaligned(as: SIMD16<Float>.self)
          acc += a * b
          j += 16
        }
        var s = acc.sum()
        while j < n { s += x[base + j] * v[base + j]; j += 1 }
        out[row] = s
      }
    }
  }

  /// The same pass with the arithmetic of the jvp, hand-written, both cores: exp of x with the bit-exact
  /// kernel and both row sums, sum(e) and sum(v*e). The sums accumulate inside the kernel (`GlibcExpf.accumulate`,
  /// as the engine's fused loop does); without a vector kernel exp runs on 512-element chunks.
  static func expPass(_ x: [Float], _ v: [Float], _ n: Int) {
    onAllCores(x, v, n, outputsPerRow: 2) { rows, x, v, out in
      let sums = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: 2)
      let e = UnsafeMutablePointer<Float>.allocate(capacity: 512)
      let ones = [Float](repeating: 1, count: 16)
      defer {
        sums.deallocate()
        e.deallocate()
      }
      for row in rows {
        let (xr, vr) = (x + row * n, v + row * n)
        if GlibcExpf.isAvailable && n % 16 == 0 {
          sums[0] = SIMD16<Float>()
          sums[1] = SIMD16<Float>()
          _ = GlibcExpf.accumulate(xr, count: n, ones, mask: 0, vr, mask: -1, sums)
          out[2 * row] = sums[0].sum()
          out[2 * row + 1] = sums[1].sum()
          continue
        }
        var a = SIMD16<Float>(), b = SIMD16<Float>()
        var j = 0
        while j < n {
          let len = min(512, n - j)
          GlibcExpf.apply(xr + j, e, count: len)
          var k = 0
          while k + 16 <= len {
            let ek = UnsafeRawPointer(e + k).loadUnaligned(as: SIMD16<Float>.self)
            let vk = UnsafeRawPointer(vr + j + k).loadUnaligned(as: SIMD16<Float>.self)
            a += ek
            b += ek * vk
            k += 16
          }
          j += len
        }
        out[2 * row] = a.sum()
        out[2 * row + 1] = b.sum()
      }
    }
  }

  /// Splits the rows of the n x n operands over all cores with Dispatch; `body` gets its rows, x, v and an
  /// output buffer of `outputsPerRow` values per row.
  static func onAllCores(_ x: [Float], _ v: [Float], _ n: Int, outputsPerRow: Int,
                         _ body: @Sendable (Range<Int>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
    var out = [Float](repeating: 0, count: outputsPerRow * n)
    let cores = ProcessInfo.processInfo.activeProcessorCount
    x.withUnsafeBufferPointer { px in
      v.withUnsafeBufferPointer { pv in
        out.withUnsafeMutableBufferPointer { po in
          let pxa = UncheckedPointer(px.baseAddress!), pva = UncheckedPointer(pv.baseAddress!)
          let poa = UncheckedMutablePointer(po.baseAddress!)
          DispatchQueue.concurrentPerform(iterations: cores) { chunk in
            let rows = (n + cores - 1) / cores
            body((chunk * rows)..<min(n, (chunk + 1) * rows), pxa.value, pva.value, poa.value)
          }
        }
      }
    }
  }

  struct UncheckedPointer: @unchecked Sendable {
    let value: UnsafePointer<Float>
    init(_ value: UnsafePointer<Float>) { self.value = value }
  }

  struct UncheckedMutablePointer: @unchecked Sendable {
    let value: UnsafeMutablePointer<Float>
    init(_ value: UnsafeMutablePointer<Float>) { self.value = value }
  }

  /// Peak memory of one warm jvp 2048x2048, measured by the kernel in a child process: large blocks are forced
  /// to mmap (so freed memory really leaves), the resident high-water mark is reset (`/proc/self/clear_refs`),
  /// the call runs, and the new high-water mark minus the resident size before the call is the call's peak.
  static func memoryProbe(_ n: Int) throws -> [(String, JSON)] {
    MemoryTuning.mapBlocks(from: 64 * 1024)
    var generator = TorchGenerator()
    generator.manualSeed(42)
    let f = try expReducer(n)
    let x = generator.rand([n, n], dtype: .float32)
    let v = Tensor(repeating: 1, shape: [n, n], dtype: .float32)
    _ = try Autodiff.jvp(f, inputs: [x], tangents: [v])
    let rss = procStatus("VmRSS")
    try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    let result = try Autodiff.jvp(f, inputs: [x], tangents: [v])
    let peak = procStatus("VmHWM")
    withExtendedLifetime(result) {}
    let inputBytes = 2 * n * n * 4
    return [
      ("input_plus_tangent_bytes", .int(Int64(inputBytes))),
      ("peak_extra_resident_bytes", .int(Int64(max(0, peak - rss)))),
    ]
  }

  /// A `/proc/self/status` field in bytes.
  static func procStatus(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
      let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
      return kb * 1024
    }
    return 0
  }

  static func runMemoryProbeChild(_ n: Int) -> [String: Double] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["--memory-probe", String(n)]
    let pipe = Pipe()
    process.standardOutput = pipe
    do {
      try process.run()
      let data = pipe.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
      return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    } catch {
      FileHandle.standardError.write(Data("jvplab-bench: memory probe failed: \(error)\n".utf8))
      return [:]
    }
  }

  // MARK: The suite

  static func run(_ options: BenchOptions) throws {
    let torch = loadTorchTimings(options)
    let minTime = options.quick ? 0.05 : 0.5
    var results: [Result] = []
    for c in try cases() where options.only.map({ c.name.contains($0) }) ?? true {
      let timing = try Timing.measure(minTime: minTime, c.body)
      let best = c.torch.compactMap { key in torch[key].map { (key, $0) } }.min { $0.1 < $1.1 }
      results.append(Result(c: c, timing: timing, torchKey: best?.0, torchMedian: best?.1))
      if !options.json {
        FileHandle.standardError.write(Data("  \(c.name): \(formatDuration(timing.median))\n".utf8))
      }
    }
    if options.only != nil {
      print(renderTable(["case", "jvplab", "PyTorch", "ratio"], results.map { r in
        [r.c.name, formatDuration(r.timing.median), r.torchMedian.map(formatDuration) ?? "–", r.ratio.map { String(format: "%.3f", $0) } ?? "–"]
      }))
      return
    }
    let costs = try oneTimeCosts(options)
    let n = 2048
    let (bound, expPass, jvpAlongside) = try boundComparison(n, minTime: 2 * minTime)
    let jvp2048 = jvpAlongside.median
    let memory = runMemoryProbeChild(n)
    let inputBytes = memory["input_plus_tangent_bytes"] ?? Double(2 * n * n * 4)
    let peakExtra = memory["peak_extra_resident_bytes"] ?? .nan
    let peakRatio = (inputBytes + peakExtra) / inputBytes

    if options.json {
      let json = JSON.object([
        ("suite", .string("engine")),
        ("threads", .int(Int64(ProcessInfo.processInfo.activeProcessorCount))),
        ("cases", .array(results.map { r in
          .object([("case", .string(r.c.name)), ("spec", .object(r.c.spec)),
                   ("median_s", .num(r.timing.median)), ("min_s", .num(r.timing.min)),
                   ("p25_s", .num(r.timing.p25)), ("p75_s", .num(r.timing.p75)), ("samples", .int(Int64(r.timing.samples))),
                   ("torch_keys", .array(r.c.torch.map(JSON.string))),
                   ("torch_key", r.torchKey.map(JSON.string) ?? .null), ("torch_median_s", .num(r.torchMedian)),
                   ("ratio", .num(r.ratio)), ("target", .num(r.c.target)), ("met", r.met.map(JSON.bool) ?? .null)])
        })),
        ("one_time", .array(costs.map { name, tracing, first in
          .object([("case", .string(name)), ("trace_s", .num(tracing.median)), ("trace_and_first_call_s", .num(first.median))])
        })),
        ("machine_bound", .object([
          ("case", .string("jvp exp_reducer 2048x2048")), ("one_pass_s", .num(bound.median)), ("jvp_s", .num(jvp2048)),
          ("ratio", .num(jvp2048 / bound.median)), ("target", .number(2)), ("met", .bool(jvp2048 / bound.median <= 2)),
          ("exp_pass_s", .num(expPass.median)), ("ratio_to_exp_pass", .num(jvp2048 / expPass.median)),
          ("one_pass_min_s", .num(bound.min)), ("jvp_min_s", .num(jvpAlongside.min)),
          ("samples", .int(Int64(min(bound.samples, jvpAlongside.samples)))),
        ])),
        ("memory", .object([
          ("case", .string("jvp exp_reducer 2048x2048")), ("input_plus_tangent_bytes", .num(inputBytes)),
          ("peak_extra_bytes", .num(peakExtra)),
          ("peak_ratio", .num(peakRatio)), ("target", .number(3)), ("met", .bool(peakRatio <= 3)),
        ])),
      ])
      print(json.text)
      return
    }

    let rows = results.map { r -> [String] in
      [r.c.name, formatDuration(r.timing.median), r.torchMedian.map(formatDuration) ?? "–",
       r.torchKey.map { $0.split(separator: " ").last.map(String.init) ?? $0 } ?? "–",
       r.ratio.map { String(format: "%.3f", $0) } ?? "–",
       r.c.target.map { String(format: "≤ %.2f", $0) } ?? "–",
       r.met.map { $0 ? "yes" : "NO" } ?? "–"]
    }
    print(renderTable(["case", "jvplab", "PyTorch", "(best of)", "ratio", "target", "met"], rows))
    print()
    print(renderTable(["one-time cost", "trace", "trace + first call"], costs.map { name, tracing, first in
      [name, formatDuration(tracing.median), formatDuration(first.median)]
    }))
    print()
    print("machine bound, jvp 2048x2048 (timed in turns with the jvp): one SIMD pass over x and v \(formatDuration(bound.median)) "
      + "(fastest \(formatDuration(bound.min))); "
      + "jvp \(formatDuration(jvp2048)) = \(String(format: "%.2f", jvp2048 / bound.median))x (target ≤ 2x: \(jvp2048 / bound.median <= 2 ? "met" : "NOT met"))")
    print("  the same pass computing exp (bit-exact kernel) and both row sums, hand-written: \(formatDuration(expPass.median)); "
      + "jvp = \(String(format: "%.2f", jvp2048 / expPass.median))x that")
    print("peak memory, jvp 2048x2048: input+tangent \(ByteCount.describe(Int(inputBytes))), peak extra during the call "
      + "\(peakExtra.isNaN ? "?" : ByteCount.describe(Int(peakExtra))) -> \(String(format: "%.2f", peakRatio))x input+tangent "
      + "(target ≤ 3x: \(peakRatio <= 3 ? "met" : "NOT met"))")
  }
}
