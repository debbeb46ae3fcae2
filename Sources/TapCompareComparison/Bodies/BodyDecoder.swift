import CompressNIO
import NIOCore

/// Undoes `Content-Encoding` (gzip, deflate) before comparing, within a size and a ratio limit.
///
/// The limits bound the memory a hostile or broken upstream can make the comparison use ("zip bombs"): a body
/// that would inflate past either limit is not compared (the exchange is skipped with a reason).
public struct BodyDecoder: Sendable {
    enum Result {
        case decoded(ByteBuffer)
        /// The encoding is not one we decode (e.g. `br`), or the data is corrupt: compare the bytes as they are.
        case undecodable(ByteBuffer, reason: String)
        /// Inflating would exceed a limit.
        case tooLarge(reason: String)
    }

    var maxDecodedBytes: Int
    var maxRatio: Int

    func decode(_ body: ByteBuffer, contentEncoding: [String]) -> Result {
        let codings = contentEncoding
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingASCIIWhitespace().lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
        var current = body
        // Codings are listed in the order applied; undo them last first.
        for coding in codings.reversed() {
            let limit = min(self.maxDecodedBytes, max(current.readableBytes, 1).multipliedReportingOverflow(by: self.maxRatio).partialValue)
            var input = current
            switch coding {
            case "gzip", "x-gzip":
                switch self.inflate(&input, .gzip(), limit: limit) {
                case .success(let out): current = out
                case .failure(let failure): return self.result(failure, body, coding, limit)
                }
            case "deflate":
                // RFC 9110 says zlib-wrapped; some servers send raw deflate. Try both.
                var raw = current
                switch self.inflate(&input, .zlib(), limit: limit) {
                case .success(let out): current = out
                case .failure(.corrupt):
                    switch self.inflate(&raw, .deflate(), limit: limit) {
                    case .success(let out): current = out
                    case .failure(let failure): return self.result(failure, body, coding, limit)
                    }
                case .failure(let failure): return self.result(failure, body, coding, limit)
                }
            default:
                return .undecodable(body, reason: "content-encoding '\(coding)' is not decoded")
            }
        }
        return .decoded(current)
    }

    enum Failure: Error { case corrupt, overLimit }

    private func result(_ failure: Failure, _ body: ByteBuffer, _ coding: String, _ limit: Int) -> Result {
        switch failure {
        case .corrupt: return .undecodable(body, reason: "corrupt \(coding) data")
        case .overLimit: return .tooLarge(reason: "\(coding) body inflates beyond \(limit) bytes")
        }
    }

    private func inflate(_ input: inout ByteBuffer, _ algorithm: CompressionAlgorithm, limit: Int) -> Swift.Result<ByteBuffer, Failure> {
        do {
            return .success(try input.decompress(with: algorithm, maxSize: limit))
        } catch let error as CompressNIOError where error == .bufferOverflow {
            return .failure(.overLimit)
        } catch {
            return .failure(.corrupt)
        }
    }
}
