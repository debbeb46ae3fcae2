import Foundation

/// Rebuilds a request body from HAR `postData.params` (recorded by some producers instead of `postData.text`).
///
/// - `multipart/form-data`: one part per parameter, with the boundary of the request's `Content-Type` (or
///   `postData.mimeType`): `Content-Disposition: form-data; name="…"` (plus `filename` and `Content-Type` for a
///   file), the value as the part's content (a file's bytes are not in HAR beyond what `value` holds).
/// - anything else (`application/x-www-form-urlencoded`, what browsers record params for): `name=value` pairs
///   joined by `&`, each percent-encoded as a form is (space as `+`).
enum HARPostParams {
    static func body(_ params: [HARDocument.Param], contentType: String) throws(CaptureError) -> String {
        let essence = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if essence == "multipart/form-data" {
            guard let boundary = Self.boundary(contentType) else {
                throw .invalidHAR("request.postData.params of a multipart/form-data request need the boundary in the Content-Type header or postData.mimeType ('\(contentType)' has none)")
            }
            var body = ""
            for param in params {
                body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(param.name))\""
                if let fileName = param.fileName { body += "; filename=\"\(Self.quoted(fileName))\"" }
                body += "\r\n"
                if let type = param.contentType { body += "Content-Type: \(type)\r\n" }
                body += "\r\n\(param.value ?? "")\r\n"
            }
            return body + "--\(boundary)--\r\n"
        }
        return params.map { Self.formEncoded($0.name) + "=" + Self.formEncoded($0.value ?? "") }.joined(separator: "&")
    }

    /// The `boundary` parameter of a media type, unquoted.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// `application/x-www-form-urlencoded` encoding of one name or value (WHATWG URL: the urlencoded serializer).
    static func formEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// A name inside a quoted `Content-Disposition` parameter (quotes and line breaks escaped as browsers do).
    private static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}
