/// When a client must have finished sending a request head: the policy behind `listener.header_timeout`, as a
/// pure state machine (the handler owns the timer and does what the returned action says).
///
/// The clock starts when the connection is accepted and again at the first byte of each later request; it stops
/// when the head is complete. An idle keep-alive connection between requests has no header deadline (the idle
/// timeout governs it), so a client that pauses between requests is never told 408.
///
/// This is what an idle timeout alone cannot do: a slow-header client that sends one byte every few seconds
/// resets an idle timer forever, holding a connection and a file descriptor as long as it likes.
struct HeaderDeadline {
    enum State: Equatable {
        /// Accepted or between requests with bytes of the next head arriving: the timer runs.
        case awaitingHead(bytesSeen: Bool)
        /// Between requests, nothing of the next one received: no timer.
        case idle
        /// The head is complete; the request and its response are in progress.
        case inRequest
        /// Refused or closed; nothing more happens.
        case done
    }

    enum Action: Equatable {
        case none
        /// Start the timer.
        case arm
        /// Stop the timer.
        case disarm
        /// Time is up: answer 408 (`bytesSeen`) or just close a connection that sent nothing, then close.
        case refuse(bytesSeen: Bool)
    }

    private(set) var state: State = .awaitingHead(bytesSeen: false)

    /// The connection was accepted: the first head is due.
    static func accepted() -> (HeaderDeadline, Action) { (HeaderDeadline(), .arm) }

    /// Bytes arrived from the client.
    mutating func bytesReceived() -> Action {
        switch self.state {
        case .idle:
            self.state = .awaitingHead(bytesSeen: true)
            return .arm
        case .awaitingHead:
            self.state = .awaitingHead(bytesSeen: true)
            return .none
        case .inRequest, .done:
            // Body bytes (or the next pipelined request, whose clock starts when this response ends).
            return .none
        }
    }

    /// The parser delivered a complete head.
    mutating func headReceived() -> Action {
        switch self.state {
        case .awaitingHead:
            self.state = .inRequest
            return .disarm
        case .idle:
            // A pipelined head that was already buffered.
            self.state = .inRequest
            return .none
        case .inRequest, .done:
            return .none
        }
    }

    /// The response ended and the connection stays open for the next request.
    mutating func responseEnded() -> Action {
        guard self.state == .inRequest else { return .none }
        self.state = .idle
        return .none
    }

    /// The timer fired.
    mutating func timerFired() -> Action {
        guard case .awaitingHead(let bytesSeen) = self.state else { return .none }
        self.state = .done
        return .refuse(bytesSeen: bytesSeen)
    }

    /// The connection closed.
    mutating func closed() -> Action {
        let wasTiming: Bool
        if case .awaitingHead = self.state { wasTiming = true } else { wasTiming = false }
        self.state = .done
        return wasTiming ? .disarm : .none
    }
}
