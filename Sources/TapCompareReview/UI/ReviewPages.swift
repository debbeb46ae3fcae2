import Foundation
import Hummingbird
import NIOCore
import TapCompareCore

/// The `/ui` pages: overview → route → field → comparison, each rendered on the server from the
/// ``ReportSource`` (the same components as the HTML report), with the window and filters carried in the URL.
struct ReviewPages: Sendable {
    let source: any ReportSource
    let defaultSince: String
    let now: @Sendable () -> Date

    static let windows = [("1h", "last hour"), ("6h", "last 6 hours"), ("24h", "last 24 hours"), ("7d", "last 7 days"), ("30d", "last 30 days"), ("all", "everything")]

    func parameters(_ request: Request) throws -> ReviewParameters {
        let q = request.uri.queryParameters
        return try ReviewParameters({ q.get($0) }, now: self.now(), defaultSince: self.defaultSince)
    }

    /// The window picker and classification filter: a plain GET form, so every view is a shareable URL.
    func filterForm(_ p: ReviewParameters, action: String, hidden: [(String, String)] = []) -> String {
        var out = "<form class=\"filters\" method=\"get\" action=\"\(esc(action))\">"
        for (name, value) in hidden { out += "<input type=\"hidden\" name=\"\(esc(name))\" value=\"\(esc(value))\">" }
        out += "<label>Window<select name=\"since\" id=\"since\">"
        let current = p.since ?? (p.query.from == nil ? "all" : "")
        if current.isEmpty { out += "<option value=\"\" selected>custom range</option>" }
        for (value, label) in Self.windows {
            out += "<option value=\"\(value)\"\(value == current ? " selected" : "")>\(label)</option>"
        }
        if !current.isEmpty && !Self.windows.contains(where: { $0.0 == current }) {
            out += "<option value=\"\(esc(current))\" selected>last \(esc(current))</option>"
        }
        out += "</select></label>"
        out += "<label>Classification<select name=\"classification\" id=\"classification\">"
        let c = p.query.classification?.rawValue ?? "all"
        for value in ["all", "regression", "noise", "race"] {
            out += "<option value=\"\(value)\"\(value == c ? " selected" : "")>\(value)</option>"
        }
        out += "</select></label><button class=\"primary\" type=\"submit\">Apply</button></form>"
        return out
    }

    func link(_ path: String, _ p: ReviewParameters, _ extra: [(String, String)] = []) -> String {
        var parts = extra.map { "\($0.0)=\(urlEncode($0.1))" }
        let carried = p.carried()
        if !carried.isEmpty { parts.append(carried) }
        return parts.isEmpty ? path : path + "?" + parts.joined(separator: "&")
    }

    func overview(_ request: Request) async throws -> Response {
        let p = try self.parameters(request)
        let report = try await self.source.summary(p.query, includeLatency: true)
        var body = self.filterForm(p, action: "/ui")
        body += HTMLComponents.cards(report.overview) + HTMLComponents.gaps(report.gaps)
        body += "<div class=\"charts\"><section><h2>Mismatch rate over time</h2>\(SVGCharts.timeline(report.timeline))</section>"
        body += "<section><h2>Latency, legacy against candidate</h2>\(SVGCharts.latency(report.routes))</section></div>"
        body += "<h2>Routes by impact</h2>"
        body += report.routes.isEmpty ? "<p>No comparisons in this window. Widen it with the window picker.</p>"
            : HTMLComponents.routesTable(report.routes) { self.link("/ui/route", p, [("route", $0)]) }
        return Self.html(HTMLComponents.page(title: "TapCompare review", meta: HTMLComponents.windowLine(report), body: body, script: nil))
    }

    func route(_ request: Request) async throws -> Response {
        let p = try self.parameters(request)
        guard let route = p.query.route else { throw ReviewError.invalidArgument("route is missing: open a route from /ui") }
        let report = try await self.source.summary(p.query, includeLatency: true)
        let fields = try await self.source.fields(route: route, query: p.query)
        var body = "<div class=\"crumbs\"><a href=\"\(esc(self.link("/ui", p)))\">Overview</a> › <code>\(esc(route))</code></div>"
        body += self.filterForm(p, action: "/ui/route", hidden: [("route", route)])
        if let r = report.routes.first {
            body += "<h2><code>\(esc(route))</code> <span class=\"\(HTMLComponents.rateClass(r.regressed))\" id=\"route-rate\">\(Formatting.percent(r.mismatchRate))</span> <span class=\"muted\">mismatch rate · \(Formatting.count(r.regressed)) of \(Formatting.count(r.compared)) compared regressed</span></h2>"
            body += HTMLComponents.statusLine(r)
            body += SVGCharts.latency([r])
        } else {
            body += "<h2><code>\(esc(route))</code></h2><p>No comparisons for this route in this window.</p>"
        }
        body += "<h2>Fields by impact</h2>"
        if fields.isEmpty {
            body += "<p class=\"muted\">No field differences\(p.query.classification.map { " classified \($0.rawValue)" } ?? "") in this window.</p>"
        } else {
            body += "<table id=\"fields\"><thead><tr><th>Field</th><th>Kind</th><th class=\"n\">Comparisons</th><th class=\"n\">Share</th><th>Classification</th><th>Example (legacy → candidate)</th><th>Last seen</th><th></th></tr></thead><tbody>"
            for f in fields {
                let fieldLink = self.link("/ui/field", p, [("route", route), ("field", f.field), ("kind", f.kind)])
                body += "<tr data-field=\"\(esc(f.field))\"><td><a href=\"\(esc(fieldLink))\"><code>\(esc(f.field))</code></a></td><td>\(esc(f.kind))</td>"
                body += "<td class=\"n\">\(Formatting.count(f.comparisons))</td><td class=\"n\">\(Formatting.percent(f.share))</td><td>\(HTMLComponents.classificationPills(f))</td>"
                body += "<td>\(f.examples.first.map(HTMLComponents.exampleValues) ?? "")</td><td class=\"muted time\">\(Formatting.time(f.lastSeen))</td>"
                body += "<td>\(self.markButton(route: route, field: f.field, kind: f.kind, annotation: f.annotation))</td></tr>"
                if let s = f.suggestion {
                    body += "<tr><td colspan=\"8\">\(HTMLComponents.suggestion(s, field: f.field))</td></tr>"
                }
            }
            body += "</tbody></table>"
        }
        body += "<div id=\"rule\" hidden></div>"
        return Self.html(HTMLComponents.page(title: "TapCompare review", meta: HTMLComponents.windowLine(report), body: body, script: UIScript.loader))
    }

    func markButton(route: String, field: String, kind: String, annotation: String?) -> String {
        if annotation == "noise" { return "<span class=\"pill noise\">marked noise</span>" }
        guard field.hasPrefix("$") else { return "" }
        return "<button class=\"mark-noise\" data-route=\"\(esc(route))\" data-field=\"\(esc(field))\" data-kind=\"\(esc(kind))\">Mark as noise</button>"
    }

    func field(_ request: Request) async throws -> Response {
        let p = try self.parameters(request)
        let q = request.uri.queryParameters
        guard let route = p.query.route, let field = q.get("field"), !field.isEmpty else {
            throw ReviewError.invalidArgument("route and field are required: open a field from a route page")
        }
        let kind = q.get("kind").flatMap { $0.isEmpty ? nil : $0 }
        let examples = try await self.source.examples(route: route, field: field, kind: kind, query: p.query, limit: 20)
        var body = "<div class=\"crumbs\"><a href=\"\(esc(self.link("/ui", p)))\">Overview</a> › <a href=\"\(esc(self.link("/ui/route", p, [("route", route)])))\"><code>\(esc(route))</code></a> › <code>\(esc(field))</code></div>"
        body += self.filterForm(p, action: "/ui/field", hidden: [("route", route), ("field", field)] + (kind.map { [("kind", $0)] } ?? []))
        body += "<h2><code>\(esc(field))</code> <span class=\"muted\">\(esc(kind ?? "every kind"))</span> \(self.markButton(route: route, field: field, kind: kind ?? "", annotation: nil))</h2>"
        body += "<div id=\"rule\" hidden></div>"
        if examples.isEmpty {
            body += "<p class=\"muted\">No occurrences in this window.</p>"
        } else {
            body += "<h3>Latest occurrences</h3><table id=\"examples\"><thead><tr><th>When</th><th>Path</th><th>Legacy → candidate</th><th>Class</th><th>Comparison</th></tr></thead><tbody>"
            for e in examples {
                body += "<tr><td class=\"muted time\">\(Formatting.time(e.recordedAt))</td><td><code>\(esc(e.path.isEmpty ? field : e.path))</code></td><td>\(HTMLComponents.exampleValues(e))</td>"
                body += "<td><span class=\"pill \(esc(e.classification))\">\(esc(e.classification))</span></td>"
                body += "<td><a href=\"/ui/comparisons/\(esc(urlEncode(e.comparisonId)))\" class=\"mono\">\(esc(e.comparisonId))</a></td></tr>"
            }
            body += "</tbody></table>"
            if let first = examples.first, let c = try await self.source.comparison(id: first.comparisonId) {
                body += "<h3>Most recent comparison</h3>" + HTMLComponents.comparisonFacts(c) + HTMLComponents.sideBySide(c)
            }
        }
        return Self.html(HTMLComponents.page(title: "TapCompare review", meta: esc(route), body: body, script: UIScript.loader))
    }

    func comparison(id: String) async throws -> Response {
        guard let c = try await self.source.comparison(id: id) else { throw ReviewError.notFound("no comparison \(id.prefix(64)) in the ledger") }
        var body = "<div class=\"crumbs\"><a href=\"/ui\">Overview</a> › <a href=\"/ui/route?route=\(esc(urlEncode(c.route)))\"><code>\(esc(c.route))</code></a> › comparison</div>"
        body += "<h2>Comparison <span class=\"mono\">\(esc(c.id))</span></h2>"
        body += HTMLComponents.comparisonFacts(c)
        body += "<h3>Bodies</h3>" + HTMLComponents.sideBySide(c)
        body += "<h3>Discrepancies</h3>" + HTMLComponents.discrepancyTable(c)
        return Self.html(HTMLComponents.page(title: "TapCompare review", meta: esc(c.route), body: body))
    }

    func respond(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as ReviewError {
            let status: HTTPResponse.Status = error.isNotFound ? .notFound : error.isClientError ? .badRequest : .serviceUnavailable
            var r = Self.html(HTMLComponents.page(title: "TapCompare review", meta: "", body: "<div class=\"banner\" id=\"error\">\(esc(error.message))</div><p><a href=\"/ui\">Back to the overview</a></p>"))
            r.status = status
            return r
        } catch {
            var r = Self.html(HTMLComponents.page(title: "TapCompare review", meta: "", body: "<div class=\"banner\" id=\"error\">\(esc(String(describing: error)))</div>"))
            r.status = .internalServerError
            return r
        }
    }

    static func html(_ text: String) -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
