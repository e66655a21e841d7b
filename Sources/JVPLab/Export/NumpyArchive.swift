import Foundation
import JVPStore
import ZIPFoundation

/// numpy's `.npz`: a zip archive with one `.npy` member per array, stored uncompressed as `numpy.savez`
/// writes them, so `numpy.load(path)[name]` gives each array back.
public enum NumpyArchive {
  /// The archive of `arrays` (name without `.npy`, then the `.npy` bytes), in order.
  public static func data(_ arrays: [(name: String, npy: Data)]) throws -> Data {
    let archive: Archive
    do {
      archive = try Archive(accessMode: .create)
    } catch {
      throw LabFailure("cannot create a zip archive in memory: \(error)")
    }
    for (name, npy) in arrays {
      do {
        try archive.addEntry(
          with: name + ".npy", type: .file, uncompressedSize: Int64(npy.count), compressionMethod: .none,
          provider: { position, size in npy.subdata(in: Int(position)..<Int(position) + size) })
      } catch {
        throw LabFailure("cannot add \(name).npy to the archive: \(error)")
      }
    }
    guard let data = archive.data else { throw LabFailure("the zip archive has no data") }
    return data
  }

  /// The members of an archive as (name without `.npy`, bytes), in the archive's order.
  public static func members(_ data: Data) throws -> [(name: String, npy: Data)] {
    let archive: Archive
    do {
      archive = try Archive(data: data, accessMode: .read)
    } catch {
      throw LabFailure("not a zip archive: \(error)")
    }
    var result: [(String, Data)] = []
    for entry in archive {
      var bytes = Data()
      do {
        _ = try archive.extract(entry, skipCRC32: false) { bytes.append($0) }
      } catch {
        throw LabFailure("cannot read \(entry.path) from the archive: \(error)")
      }
      let name = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
      result.append((name, bytes))
    }
    return result
  }
}
