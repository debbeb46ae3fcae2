import Foundation
import NIOCore

/// An async sequence of buffers making up `total` bytes of the pattern byte `i` = `i % 251`, generated on
/// demand so a test can upload a body of any size without holding it.
public struct PatternBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public let total: Int
    public let chunkSize: Int

    public init(total: Int, chunkSize: Int = 64 * 1024) {
        self.total = total
        // A multiple of 251 keeps every chunk starting at pattern byte 0.
        self.chunkSize = Swift.max(251, chunkSize / 251 * 251)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var left: Int
        let chunk: ByteBuffer

        public mutating func next() async -> ByteBuffer? {
            guard self.left > 0 else { return nil }
            let n = Swift.min(self.left, self.chunk.readableBytes)
            self.left -= n
            return self.chunk.getSlice(at: 0, length: n)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        var chunk = ByteBuffer()
        chunk.reserveCapacity(self.chunkSize)
        for i in 0..<self.chunkSize { chunk.writeInteger(UInt8(i % 251)) }
        return AsyncIterator(left: self.total, chunk: chunk)
    }
}
