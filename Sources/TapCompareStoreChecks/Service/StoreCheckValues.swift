import Foundation
import NIOCore
import NIOHTTP1
import TapCompareComparison
import TapCompareCore
import TapCompareJSON

/// The values one side of a check reads by: that side's own write answer (the candidate's sister store has its
/// own ids), the write's request body and the write route's path parameters.
struct StoreCheckValues {
    let exchange: Exchange
    let side: StoreSide
    let comparator: TapCompareComparison.Comparator
    private var response: JSONValue??
    private var requestBody: JSONValue??

    init(exchange: Exchange, side: StoreSide, comparator: TapCompareComparison.Comparator) {
        self.exchange = exchange
        self.side = side
        self.comparator = comparator
    }

    /// The value of `source` on this side, `nil` when it is absent (or not a scalar).
    mutating func value(_ source: ValueSource) -> JSONValue? {
        switch source {
        case .pathParameter(let name):
            let parameters = (try? RouteTemplate(parsing: self.exchange.route))?.match(
                method: self.exchange.request.method.rawValue, path: self.exchange.request.path
            ) ?? [:]
            return parameters[name].map { .string(String($0)) }
        case .response(let pointer):
            if self.response == nil {
                var body: JSONValue?
                let answer: ResponseSnapshot?
                switch self.side {
                case .legacy: answer = self.exchange.legacy
                case .candidate:
                    if case .response(let r, _) = self.exchange.candidate { answer = r } else { answer = nil }
                }
                if let answer, let decoded = self.comparator.decodedBody(of: answer) {
                    body = try? JSONParser.parse(decoded.readableBytesView)
                }
                self.response = .some(body)
            }
            return Self.scalar(self.response??.value(at: pointer))
        case .request(let pointer):
            if self.requestBody == nil {
                self.requestBody = .some(try? JSONParser.parse(self.exchange.request.body.readableBytesView))
            }
            return Self.scalar(self.requestBody??.value(at: pointer))
        }
    }

    static func scalar(_ value: JSONValue?) -> JSONValue? {
        switch value {
        case .string, .number, .bool: return value
        default: return nil
        }
    }

    /// The read to send to this side's copy, or the source whose value is missing.
    mutating func request(for check: StoreCheck, stream: String?, since: Date) -> Result<StoreReadRequest, MissingValue> {
        switch check.read {
        case .query(let statement, let params):
            var binds: [JSONValue] = []
            for param in params {
                guard let value = self.value(param) else { return .failure(MissingValue(source: param)) }
                binds.append(value)
            }
            return .success(.query(statement, binds: binds))
        case .key(let template):
            var key = ""
            for part in template.parts {
                switch part {
                case .literal(let text): key += text
                case .value(let source):
                    guard let value = self.value(source) else { return .failure(MissingValue(source: source)) }
                    switch value {
                    case .string(let s): key += s
                    case .number(let n): key += n.text
                    case .bool(let b): key += b ? "true" : "false"
                    default: return .failure(MissingValue(source: source))
                    }
                }
            }
            return .success(.key(key))
        case .event(let path, let equals, let within):
            guard let value = self.value(equals) else { return .failure(MissingValue(source: equals)) }
            return .success(.event(stream: stream ?? "", path: path, equals: value, since: since, within: within))
        }
    }

    struct MissingValue: Error, CustomStringConvertible {
        var source: ValueSource
        var description: String { self.source.description }
    }
}
