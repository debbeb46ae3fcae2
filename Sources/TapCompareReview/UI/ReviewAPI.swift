import Foundation
import Hummingbird
import Logging
import NIOCore
import TapCompareCore
import TapCompareLedger

/// The `/api/v1` handlers. Every answer is JSON in the report's format (`docs/api.md`); errors are
/// `{"error": "…"}` with 400 (bad parameter), 404 (unknown id) or 503 (ledger unavailable).
///
/// An error the caller did not cause (the ledger is down, a query failed, anything unexpected) is answered with a
/// generic message and logged with its detail: database errors name files, hosts and SQL, which are not for
/// whoever can reach the API.
struct ReviewAPI: Sendable {
    let source: any ReportSource
    /// What `/api/v1/verdict` judges routes against.
    var cutover = CutoverPolicy()
    let now: @Sendable () -> Date
    let logger: Logger

    struct OverviewAnswer: Codable {
        var schemaVersion: Int
        var generatedAt: Date
        var ledger: String
        var filter: ReportFilter
        var overview: Overview
        var timeline: Timeline
        var gaps: [GapReport]
        /// As in the report: the learned-noise thresholds and the fields they classify as noise (absent when no
        /// instance published a model).
        var learnedNoise: LearnedNoiseReport?
    }

    struct RoutesAnswer: Codable {
        var schemaVersion: Int
        var filter: ReportFilter
        var routes: [RouteReport]
    }

    struct StoresAnswer: Codable {
        var schemaVersion: Int
        var filter: ReportFilter
        var storeChecks: [StoreCheckRoute]
    }

    struct FieldsAnswer: Codable {
        var schemaVersion: Int
        var route: String
        var filter: ReportFilter
        var fields: [FieldReport]
    }

    struct ExamplesAnswer: Codable {
        var schemaVersion: Int
        var route: String
        var field: String
        var kind: String?
        var examples: [FieldExample]
    }

    struct AnnotationsAnswer: Codable {
        var schemaVersion: Int
        var annotations: [Annotation]
    }

    struct ProblemsAnswer: Codable {
        var schemaVersion: Int
        var generatedAt: Date
        var ledger: String
        var filter: ReportFilter
        /// By status; `needing_review` (open, and fixed but seen again) is the UI's headline.
        var counts: ProblemCounts
        var truncated: Bool
        var problems: [ProblemSignature]
        /// Comparisons by the set of problems they carry (problems that come together share a cause).
        var signatureSets: [SignatureSet]
        var signatureSetsOmitted: Int
    }

    struct ErrorAnswer: Codable { var error: String }

    func parameters(_ request: Request) throws -> ReviewParameters {
        let q = request.uri.queryParameters
        return try ReviewParameters({ q.get($0) }, now: self.now())
    }

    func report(_ request: Request) async throws -> Response {
        Self.json(try await self.source.report(try self.parameters(request).query))
    }

    func overview(_ request: Request) async throws -> Response {
        let r = try await self.source.summary(try self.parameters(request).query, includeLatency: false)
        return Self.json(OverviewAnswer(schemaVersion: r.schemaVersion, generatedAt: r.generatedAt, ledger: r.ledger, filter: r.filter, overview: r.overview, timeline: r.timeline, gaps: r.gaps, learnedNoise: r.learnedNoise))
    }

    func routes(_ request: Request) async throws -> Response {
        let r = try await self.source.summary(try self.parameters(request).query, includeLatency: true)
        return Self.json(RoutesAnswer(schemaVersion: r.schemaVersion, filter: r.filter, routes: r.routes))
    }

    func stores(_ request: Request) async throws -> Response {
        let query = try self.parameters(request).query
        return Self.json(StoresAnswer(schemaVersion: Report.currentSchemaVersion, filter: ReportFilter(query), storeChecks: try await self.source.storeChecks(query)))
    }

    func fields(_ request: Request, route: String) async throws -> Response {
        let p = try self.parameters(request)
        let fields = try await self.source.fields(route: route, query: p.query)
        return Self.json(FieldsAnswer(schemaVersion: Report.currentSchemaVersion, route: route, filter: ReportFilter(p.query), fields: fields))
    }

    func examples(_ request: Request, route: String, field: String) async throws -> Response {
        let p = try self.parameters(request)
        let kind = request.uri.queryParameters.get("kind").flatMap { $0.isEmpty ? nil : $0 }
        let limitText = request.uri.queryParameters.get("limit") ?? "20"
        guard let limit = Int(limitText), (1...500).contains(limit) else { throw ReviewError.invalidArgument("limit='\(limitText.prefix(20))' must be a number from 1 to 500") }
        let examples = try await self.source.examples(route: route, field: field, kind: kind, query: p.query, limit: limit)
        return Self.json(ExamplesAnswer(schemaVersion: Report.currentSchemaVersion, route: route, field: field, kind: kind, examples: examples))
    }

    /// `/api/v1/problems?since=24h`: the window's problems with their statuses (the UI's default view).
    func problems(_ request: Request) async throws -> Response {
        let query = try self.parameters(request).query
        let list = try await self.source.problems(query)
        return Self.json(ProblemsAnswer(
            schemaVersion: Report.currentSchemaVersion, generatedAt: self.now(), ledger: self.source.ledgerDescription, filter: ReportFilter(query),
            counts: list.counts, truncated: list.truncated, problems: list.problems,
            signatureSets: list.signatureSets, signatureSetsOmitted: list.signatureSetsOmitted
        ))
    }

    /// `/api/v1/verdict?since=24h&route=R&route=S`: the cut-over verdicts of the window (every route when no
    /// `route` is given; a write route brings its store checks), judged against the server's ``CutoverPolicy``.
    func verdict(_ request: Request) async throws -> Response {
        var query = try self.parameters(request).query
        let routes: [String] = request.uri.queryParameters.getAll("route").map { String($0) }.filter { !$0.isEmpty }
        query.route = nil
        let report = try await self.source.report(query)
        return Self.json(VerdictAssembler.assemble(report, policy: self.cutover, routes: routes, now: self.now()))
    }

    func comparison(id: String) async throws -> Response {
        guard let c = try await self.source.comparison(id: id) else { throw ReviewError.notFound("no comparison \(id.prefix(64)) in the ledger") }
        return Self.json(c)
    }

    func annotations() async throws -> Response {
        Self.json(AnnotationsAnswer(schemaVersion: Report.currentSchemaVersion, annotations: try await self.source.annotations()))
    }

    func annotate(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let new: NewAnnotation
        do {
            new = try ReportJSON.decoder().decode(NewAnnotation.self, from: Data(body.readableBytesView))
        } catch {
            throw ReviewError.invalidArgument("the body must be JSON like {\"route\": \"GET /api/v1/comments/{id}\", \"field\": \"$.request_id\", \"classification\": \"noise\"}")
        }
        return Self.json(try await self.source.annotate(new), status: .created)
    }

    /// `POST /api/v1/problems/status`: a reviewer's status for one problem.
    func setProblemStatus(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let new: NewProblemStatus
        do {
            new = try ReportJSON.decoder().decode(NewProblemStatus.self, from: Data(body.readableBytesView))
        } catch {
            throw ReviewError.invalidArgument("the body must be JSON like {\"route\": \"GET /api/v1/comments/{id}\", \"kind\": \"value_changed\", \"field\": \"$.score\", \"shape\": \"number: rounded\", \"status\": \"fixed\"}")
        }
        return Self.json(try await self.source.setProblemStatus(new))
    }

    /// Runs a handler and turns a ``ReviewError`` (or any failure) into a JSON error answer: the caller's own
    /// mistakes with their message, everything else generic (the detail goes to the log).
    func respond(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as ReviewError where error.isClientError {
            return Self.json(ErrorAnswer(error: error.message), status: error.isNotFound ? .notFound : error.isLimitReached ? .conflict : .badRequest)
        } catch let error as ReviewError {
            self.logger.warning("review API request failed", metadata: ["review.error": "\(error.message)"])
            return Self.json(ErrorAnswer(error: "the ledger is unavailable or a query failed; the server log has the details"), status: .serviceUnavailable)
        } catch {
            self.logger.warning("review API request failed", metadata: ["review.error": "\(error)"])
            return Self.json(ErrorAnswer(error: "the request failed; the server log has the details"), status: .internalServerError)
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? ReportJSON.encoder(pretty: false).encode(value)) ?? Data("{\"error\":\"encoding failed\"}".utf8)
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.contentType] = "application/json; charset=utf-8"
        response.headers[.cacheControl] = "no-store"
        // Data, never a page: nothing in it may run, be sniffed as HTML or be framed.
        response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
