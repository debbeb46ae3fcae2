/// The write matrix's columns, shared by every format so they read the same everywhere: per store, its checks by
/// outcome (``StoreCheckRow``).
enum StoreCheckColumns {
    static let headers = ["Store", "Compared", "Matched", "Regressions", "Races", "Noise", "Missing", "Errors", "Skipped"]

    /// The counts in ``headers`` order (after the store's name).
    static func counts(_ row: StoreCheckRow) -> [Int] {
        [row.compared, row.matched, row.regressions, row.races, row.noise, row.missing, row.errors, row.skipped]
    }

    /// What the section says under its title in every format.
    static let note = "Store checks read each store a write lands in, on both sides, after the write. They are counted here only, never in the HTTP figures; missing (a record on one side only) overlaps regressions and races."
}
