import TapCompareCore

/// A step between the diff engine and the ledger that may need I/O to judge a comparison: classification of
/// its discrepancies (second legacy reads, re-reads) and write verification (follow-up reads).
///
/// The ``ComparisonStage`` hands each comparison over and moves on; the refiner delivers the refined record,
/// and any follow-up records it makes, through `deliver`, from whatever task it likes.
public protocol ComparisonRefiner: Sendable {
    /// - Warning: Must return at once (it is called by a diff worker); slow work goes to the refiner's own
    ///   bounded tasks.
    func refine(
        _ record: ComparisonRecord,
        exchange: Exchange,
        comparator: Comparator,
        deliver: @escaping @Sendable (ComparisonRecord) -> Void
    )
}
