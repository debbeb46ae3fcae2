extension Comparator {
    /// Limits of one comparison. Every default is the value written here.
    public struct Configuration: Sendable, Hashable {
        /// Content-Encoding decoding limits.
        public struct Decoding: Sendable, Hashable {
            /// The largest decoded body compared. Default 16 MiB.
            public var maxDecodedBytes: Int
            /// The largest decoded/encoded size ratio accepted (zip-bomb guard). Default 200.
            public var maxRatio: Int
            public init(maxDecodedBytes: Int = 16 << 20, maxRatio: Int = 200) {
                self.maxDecodedBytes = maxDecodedBytes
                self.maxRatio = maxRatio
            }
        }

        /// Array alignment bounds: beyond them elements are paired by position (still a complete list).
        public struct Alignment: Sendable, Hashable {
            /// The largest legacy × candidate gap aligned exactly (longest common subsequence). Default 1,000,000.
            public var maxCells: Int
            /// The largest gap aligned by similarity, or searched by rule-aware matching. Default 10,000.
            public var maxSimilarityCells: Int
            public init(maxCells: Int = 1_000_000, maxSimilarityCells: Int = 10_000) {
                self.maxCells = maxCells
                self.maxSimilarityCells = maxSimilarityCells
            }
        }

        public var decoding: Decoding
        public var alignment: Alignment
        /// JSON parser limits. Default nesting depth 512.
        public var parser: JSONParserOptions
        /// How many differing lines of a `text/*` body are kept. Default 5.
        public var maxTextLineDiscrepancies: Int
        /// How many bytes of an unparseable body are kept in its discrepancy value. Default 1024.
        public var maxUnparseableExcerptBytes: Int
        /// The candidate's response header naming the build that answered (`comparison.version_header`, e.g.
        /// `X-Version`), recorded bounded with each comparison (``TapCompareCore/CandidateVersion``). Default
        /// `nil`: no version is recorded.
        public var versionHeader: String?
        /// gRPC responses: the descriptor set, trailers compared and the message size limit. Default: no
        /// descriptors, `grpc-status` and `grpc-message`, 4 MiB.
        public var grpc: GRPC

        public init(
            decoding: Decoding = .init(),
            alignment: Alignment = .init(),
            parser: JSONParserOptions = .init(),
            maxTextLineDiscrepancies: Int = 5,
            maxUnparseableExcerptBytes: Int = 1024,
            versionHeader: String? = nil,
            grpc: GRPC = .init()
        ) {
            self.decoding = decoding
            self.alignment = alignment
            self.parser = parser
            self.maxTextLineDiscrepancies = maxTextLineDiscrepancies
            self.maxUnparseableExcerptBytes = maxUnparseableExcerptBytes
            self.versionHeader = versionHeader
            self.grpc = grpc
        }
    }
}

import TapCompareJSON

/// The JSON parser's options (re-exported name so configuration reads naturally).
public typealias JSONParserOptions = JSONParser.Options
