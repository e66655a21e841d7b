/// jvplab's version, recorded with every run.
public enum JVPLabVersion {
  public static let current = "0.1.0"
}
