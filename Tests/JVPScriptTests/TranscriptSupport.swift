@testable import JVPScript

/// What the interpreter prints for `lines` after `import torch`, run as the script `file`.
func transcript(_ lines: String, file: String) throws -> String {
  var output = ""
  let interpreter = Interpreter(file: file, recorder: DiscardingRecorder()) { output += $0 }
  try interpreter.run(bytes: Array(("import torch\n" + lines + "\n").utf8))
  return output
}
