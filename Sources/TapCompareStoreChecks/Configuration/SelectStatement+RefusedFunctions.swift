/// The PostgreSQL functions a store check may not call.
///
/// A check runs in a read-only transaction that is always rolled back, which undoes what a function does to the
/// session's settings and the transaction's locks, and the server refuses any write. What is left acts outside the
/// transaction, and these are refused by name at start-up: locks a session keeps after the rollback, signals to
/// the server or other sessions, the server's files, connections of a function's own and SQL run from a string
/// (which the start-up check cannot read). `set_config` and the transaction's own advisory locks are undone by the
/// rollback but refused too: a check has no use for them, and one list is simpler to trust. A function of the
/// user's own that calls one of these is out of the check's sight; give the check's role `SELECT` only.
extension SelectStatement {
    /// A refused name, or every name starting with `prefix`, and why, in words that follow the name.
    struct RefusedFunction: Sendable {
        var name: String
        var isPrefix = false
        var reason: String
    }

    /// Lower-case, matched against the called name whatever its case or quoting (`"set_config"(…)` too).
    static let refusedFunctions: [RefusedFunction] = {
        let advisory = "takes or releases an advisory lock, which a session keeps after the check"
        let server = "acts on the server or on other sessions"
        let files = "reads the server's files"
        let sqlText = "runs SQL from a string, which the start-up check cannot read"
        return [
            RefusedFunction(name: "pg_advisory_", isPrefix: true, reason: advisory),
            RefusedFunction(name: "pg_try_advisory_", isPrefix: true, reason: advisory),
            RefusedFunction(name: "set_config", reason: "changes the session's settings"),
            RefusedFunction(name: "pg_sleep", isPrefix: true, reason: "holds the connection on purpose"),
            RefusedFunction(name: "pg_terminate_backend", reason: server),
            RefusedFunction(name: "pg_cancel_backend", reason: server),
            RefusedFunction(name: "pg_notify", reason: "notifies other sessions"),
            RefusedFunction(name: "pg_reload_conf", reason: server),
            RefusedFunction(name: "pg_rotate_logfile", reason: server),
            RefusedFunction(name: "pg_promote", reason: server),
            RefusedFunction(name: "pg_switch_wal", reason: server),
            RefusedFunction(name: "pg_create_restore_point", reason: server),
            RefusedFunction(name: "pg_log_backend_memory_contexts", reason: server),
            RefusedFunction(name: "pg_stat_reset", isPrefix: true, reason: server),
            RefusedFunction(name: "lo_", isPrefix: true, reason: "reads or writes large objects or the server's files"),
            RefusedFunction(name: "dblink", isPrefix: true, reason: "opens a connection of its own, outside the check's read-only transaction"),
            RefusedFunction(name: "pg_read_file", reason: files),
            RefusedFunction(name: "pg_read_binary_file", reason: files),
            RefusedFunction(name: "pg_ls_", isPrefix: true, reason: files),
            RefusedFunction(name: "pg_stat_file", reason: files),
            RefusedFunction(name: "pg_file_", isPrefix: true, reason: "writes the server's files"),
            RefusedFunction(name: "query_to_xml", isPrefix: true, reason: sqlText),
            RefusedFunction(name: "ts_stat", reason: sqlText),
            RefusedFunction(name: "ts_rewrite", reason: sqlText),
        ]
    }()

    /// The refusal for a call of `name`, if it is refused.
    static func refusedFunction(named name: String) -> RefusedFunction? {
        let lowered = name.lowercased()
        return Self.refusedFunctions.first { $0.isPrefix ? lowered.hasPrefix($0.name) : lowered == $0.name }
    }
}
