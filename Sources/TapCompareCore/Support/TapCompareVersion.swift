/// The release of TapCompare this build is, as `tapcompare --version` prints it (semantic versioning).
///
/// The one place the version is written: bump it here when a release is tagged.
public enum TapCompareVersion {
    public static let current = "0.1.0"
}
