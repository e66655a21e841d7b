import Foundation
import JVPScript
import Testing

/// Each reference script runs through the interpreter and prints exactly what real PyTorch 2.15 printed
/// (Fixtures/*.out: the first four and `jacobians_hessians` (the torch.func tutorial) copied from the project's shared
/// reference material, the others transcribed from PyTorch here by tools/torch_transcript.py). Object addresses (the
/// generator's, functions'), which CPython prints as live pointers, are masked on both sides as the acceptance
/// check masks the generator's.
@Suite struct ReferenceScriptTests {
  static let scripts = [
    "seed_notebook", "multi_output", "hessian_f64", "strategies", "pytorch_parity", "notebook_python", "autograd_tape",
    "forward_ad", "torch_errors", "autograd_inplace", "functional_create_graph", "gradcheck", "nn_modules", "nn_errors",
    "nn_autodiff", "jacobians_hessians", "torch_func", "vmap_autograd_grad", "torch_func_randomness_strict",
    "torch_func_detach", "torch_func_grad_fn", "torch_func_captured_grad",
  ]

  static func fixture(_ name: String, _ ext: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
    return try String(contentsOf: url, encoding: .utf8)
  }

  static func masked(_ text: String) -> String {
    text.replacing(/\sat 0x[0-9a-fA-F.]+/, with: " at 0x...")
  }

  @Test(arguments: scripts)
  func printsWhatPyTorchPrinted(_ name: String) throws {
    let source = try Self.fixture(name, "py")
    var transcript = ""
    let recorder = CollectingRecorder()
    let interpreter = Interpreter(file: name + ".py", recorder: recorder) { transcript += $0 }
    do {
      try interpreter.run(bytes: Array(source.utf8))
    } catch {
      Issue.record("\(error.render(source: source))")
    }
    #expect(Self.masked(transcript) == Self.masked(try Self.fixture(name, "out")))
  }
}
