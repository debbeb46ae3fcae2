import TapCompareCore

/// `notify.*`: a webhook told when something a migration team acts on changes (issue 19).
public struct NotifyConfiguration: Sendable {
    /// `notify.webhook`: where the JSON messages are posted (`http://` or `https://`). Default: none (off).
    public var webhook: String?
    /// `notify.interval`: how often the ledger is looked at. Default 60 s.
    public var interval: Duration = .seconds(60)
    /// `notify.window`: the time window judged, as `report --since`. Default 24 h.
    public var window: Duration = .seconds(24 * 3600)
    /// `notify.timeout`: one post, connecting included. Default 5 s.
    public var timeout: Duration = .seconds(5)
    /// `notify.retries`: further attempts of a failed post, 1 s, 2 s, 4 s … apart. Default 3.
    public var retries = 3
    /// `notify.max_messages`: messages posted per look; the rest are dropped and counted (a flood of new
    /// problems is one incident, not a thousand pages). Default 20.
    public var maxMessages = 20

    public init() {}
}
