import Foundation

extension Interpreter {
  /// Records a call that SIGINT stopped between repetitions, with the `timings` taken so far, as interrupted,
  /// then stops the script. Shared by `torch.autograd.functional` calls and `torch.func` applications.
  func recordInterrupted(_ record: RecordedCall, timings: [(String, [Double])]) throws -> Never {
    var record = record
    record.timings += timings
    record.status = .interrupted
    record.error = "interrupted"
    record.finished = Date()
    try recorder.record(record)
    throw ScriptInterrupted()
  }

  /// Records a call that failed with `error` (the message it will print), then raises the error.
  func recordFailed(_ record: RecordedCall, _ error: any Error) throws -> Never {
    var record = record
    record.error = Self.message(of: error)
    record.finished = Date()
    try recorder.record(record)
    throw error
  }
}
