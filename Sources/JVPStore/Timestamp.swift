import Foundation

/// The store's text form of a time: UTC ISO-8601 with milliseconds, `2026-11-27T10:00:00.123Z`.
///
/// Written by hand rather than with a date formatter because it is on the recording hot path and
/// must be exactly one fixed-width spelling: text order is then time order in SQL.
enum Timestamp {
  /// The canonical text of `date`, truncated to the millisecond.
  static func text(_ date: Date) -> String {
    // Round to the microsecond first so that a time built from whole milliseconds is not
    // truncated to the millisecond below by binary floating-point.
    let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
    return text(milliseconds: floorDivide(Int64(micros), 1000))
  }

  /// The date that `text` (as `text(_:)` wrote it, or any form `parse` accepts) denotes.
  static func date(_ text: String) -> Date? {
    parse(text).map { Date(timeIntervalSince1970: Double($0) / 1000) }
  }

  /// The canonical text of a time given in milliseconds since 1970 UTC.
  static func text(milliseconds: Int64) -> String {
    let days = floorDivide(milliseconds, 86_400_000)
    var rest = milliseconds - days * 86_400_000
    let (year, month, day) = civil(fromDays: days)
    let hour = rest / 3_600_000
    rest -= hour * 3_600_000
    let minute = rest / 60_000
    rest -= minute * 60_000
    let second = rest / 1000
    let milli = rest - second * 1000
    // ASCII written in place: padding each field through String(value), String(repeating:) and
    // String.count took about 8k instructions per timestamp, two per recorded run. 48 bytes hold
    // any Int64 year.
    return String(unsafeUninitializedCapacity: 48) { buffer in
      var end = 0
      func put(_ value: Int64, width: Int, then separator: Unicode.Scalar) {
        var magnitude = value.magnitude
        var digits = 0
        repeat {
          digits += 1
          magnitude /= 10
        } while magnitude > 0
        if value < 0 {
          buffer[end] = UInt8(ascii: "-")
          end += 1
        }
        let count = max(width, digits)
        magnitude = value.magnitude
        for position in stride(from: end + count - 1, through: end, by: -1) {
          buffer[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
          magnitude /= 10
        }
        buffer[end + count] = UInt8(ascii: separator)
        end += count + 1
      }
      put(year, width: 4, then: "-")
      put(month, width: 2, then: "-")
      put(day, width: 2, then: "T")
      put(hour, width: 2, then: ":")
      put(minute, width: 2, then: ":")
      put(second, width: 2, then: ".")
      put(milli, width: 3, then: "Z")
      return end
    }
  }

  /// Milliseconds since 1970 UTC of an ISO-8601 date or date and time, or nil if `text` is not one.
  ///
  /// Accepts `2026-11-27`, then optionally `T` (or a space) and `10:00`, `10:00:05`, `10:00:05.123`
  /// (any number of fraction digits; beyond milliseconds they are dropped), then optionally `Z` or
  /// an offset `+01:00` / `-0530`. A time without a zone is UTC, as everything in the store is.
  static func parse(_ text: String) -> Int64? {
    var scanner = Scanner(Array(text.utf8))
    guard let year = scanner.digits(4), scanner.skip("-"),
      let month = scanner.digits(2), scanner.skip("-"),
      let day = scanner.digits(2),
      (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
    else { return nil }
    var millis = days(fromYear: year, month: month, day: day) * 86_400_000
    if scanner.skip("T") || scanner.skip("t") || scanner.skip(" ") {
      guard let hour = scanner.digits(2), hour < 24, scanner.skip(":"),
        let minute = scanner.digits(2), minute < 60
      else { return nil }
      millis += hour * 3_600_000 + minute * 60_000
      if scanner.skip(":") {
        guard let second = scanner.digits(2), second < 60 else { return nil }
        millis += second * 1000
        if scanner.skip(".") {
          var fraction: Int64 = 0
          var count = 0
          while let digit = scanner.digit() {
            if count < 3 { fraction = fraction * 10 + digit }
            count += 1
          }
          guard count > 0 else { return nil }
          for _ in min(count, 3)..<3 { fraction *= 10 }
          millis += fraction
        }
      }
      if scanner.skip("Z") || scanner.skip("z") {
      } else if let sign: Int64 = scanner.skip("+") ? 1 : scanner.skip("-") ? -1 : nil {
        guard let hours = scanner.digits(2), hours < 24 else { return nil }
        _ = scanner.skip(":")
        guard let minutes = scanner.digits(2), minutes < 60 else { return nil }
        millis -= sign * (hours * 3_600_000 + minutes * 60_000)
      }
    }
    return scanner.atEnd ? millis : nil
  }

  private struct Scanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    mutating func skip(_ character: Character) -> Bool {
      guard position < bytes.count, let ascii = character.asciiValue, bytes[position] == ascii else { return false }
      position += 1
      return true
    }

    mutating func digit() -> Int64? {
      guard position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) else {
        return nil
      }
      position += 1
      return Int64(bytes[position - 1] - UInt8(ascii: "0"))
    }

    mutating func digits(_ count: Int) -> Int64? {
      var value: Int64 = 0
      for _ in 0..<count {
        guard let digit = digit() else { return nil }
        value = value * 10 + digit
      }
      return value
    }
  }

  private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  private static func isLeap(_ year: Int64) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
  }

  private static func daysIn(month: Int64, year: Int64) -> Int64 {
    switch month {
    case 2: isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  // Days since 1970-01-01 in the proleptic Gregorian calendar, and back
  // (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
  private static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = floorDivide(y, 400)
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = floorDivide(z, 146_097)
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}
