/// The kind of one field-level discrepancy, as stored in `discrepancies.kind`.
public enum DiscrepancyKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// Same JSON type, different value.
    case valueChanged = "value_changed"
    /// Different JSON types (e.g. a number that became a string).
    case typeChanged = "type_changed"
    /// Present in legacy, absent in the candidate.
    case missingInCandidate = "missing_in_candidate"
    /// Absent in legacy, present in the candidate.
    case extraInCandidate = "extra_in_candidate"
    /// The same elements in another order (only for arrays whose order matters).
    case arrayOrder = "array_order"
    /// The status codes differ.
    case status
    /// A compared header differs.
    case header
    /// One side's body is JSON and the other's is not.
    case bodyUnparseable = "body_unparseable"
    /// Non-JSON bodies differ (text, form or binary).
    case bodyChanged = "body_changed"
    /// A store check found the record in the candidate's sister store only (path `""`): legacy's store has nothing.
    case missingInLegacy = "missing_in_legacy"
    /// The candidate's change-data-capture event cannot be read by legacy's consumers: a field they need is
    /// missing or has another type than in legacy's events.
    case consumerIncompatible = "consumer_incompatible"
    /// A key occurs more than once in a JSON object on one side (and not identically on the other); the value on
    /// that side lists the occurrences' values in document order, the other side's value is empty.
    case duplicateKey = "duplicate_key"
}
