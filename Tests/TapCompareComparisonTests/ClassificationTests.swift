import Testing
import TapCompareCore
@testable import TapCompareComparison

@Suite struct ClassificationTests {
    func d(_ path: String, _ field: String, _ kind: DiscrepancyKind = .valueChanged) -> Discrepancy {
        Discrepancy(path: path, field: field, kind: kind, legacyValue: "1", candidateValue: "2")
    }

    @Test func changedPathsCoverAncestorsDescendantsAndSelf() {
        let changed = ChangedPaths([d("/comment/updated_at", "$.comment.updated_at"), d("/meta", "$.meta")])
        #expect(changed.covers(d("/comment/updated_at", "$.comment.updated_at")))
        #expect(changed.covers(d("/comment", "$.comment")))  // the whole object differed
        #expect(changed.covers(d("/meta/request_id", "$.meta.request_id")))  // inside a changed value
        #expect(!changed.covers(d("/comment/score", "$.comment.score")))
        #expect(!changed.covers(d("/comment/updated", "$.comment.updated")))  // a prefix of a name is not a parent
        #expect(!changed.covers(d("", "status", .status)))
        #expect(ChangedPaths([d("", "status", .status)]).covers(d("", "status", .status)))
    }

    @Test func aBaselineMakesLegacysOwnChangesNoiseAndKeepsTheRestRegressions() {
        let discrepancies = [d("/request_id", "$.request_id"), d("/score", "$.score")]
        let evidence = DiscrepancyClassifier.Evidence(baseline: ChangedPaths([d("/request_id", "$.request_id")]))
        let classified = DiscrepancyClassifier.classify(discrepancies, route: "GET /c/{id}", evidence: evidence, noiseModel: nil)
        #expect(classified.map(\.classification) == [.noise, .regression])
    }

    @Test func aLearnedNoisyFieldNeverHidesARegressionWhenLegacyAgreedWithItself() {
        let model = NoiseModel(configuration: .init(minShare: 0.5, minSamples: 4, window: 10))
        for _ in 0..<10 { model.observe(route: "GET /c/{id}", noisyFields: ["$.score"]) }
        #expect(model.isNoisy(route: "GET /c/{id}", field: "$.score"))
        let withoutBaseline = DiscrepancyClassifier.classify([d("/score", "$.score")], route: "GET /c/{id}", evidence: .init(), noiseModel: model)
        #expect(withoutBaseline[0].classification == .noise)
        // Here the two legacy answers agree at /score, so the candidate's different value is a regression.
        let agreeingBaseline = DiscrepancyClassifier.Evidence(baseline: ChangedPaths([d("/request_id", "$.request_id")]))
        let withBaseline = DiscrepancyClassifier.classify([d("/score", "$.score")], route: "GET /c/{id}", evidence: agreeingBaseline, noiseModel: model)
        #expect(withBaseline[0].classification == .regression)
    }

    @Test func theModelNeedsEnoughSamplesAndShareAndForgetsOutsideItsWindow() {
        let model = NoiseModel(configuration: .init(minShare: 0.5, minSamples: 4, window: 4))
        model.observe(route: "r", noisyFields: ["$.a"])
        model.observe(route: "r", noisyFields: ["$.a"])
        #expect(!model.isNoisy(route: "r", field: "$.a"))  // 2 samples < 4
        model.observe(route: "r", noisyFields: [])
        model.observe(route: "r", noisyFields: [])
        #expect(model.isNoisy(route: "r", field: "$.a"))  // 2 of 4 = 0.5
        model.observe(route: "r", noisyFields: [])  // the first observation leaves the window
        #expect(!model.isNoisy(route: "r", field: "$.a"))  // 1 of 4
        #expect(!model.isNoisy(route: "other", field: "$.a"))
        #expect(model.estimates().first { $0.field == "$.a" }?.noisyIn == 1)
    }

    @Test func reReadsAndVersionsMakeRaces() {
        let discrepancies = [d("/body", "$.body"), d("/score", "$.score")]
        let recheck = DiscrepancyClassifier.Evidence(recheck: ChangedPaths([d("/body", "$.body")]))
        #expect(DiscrepancyClassifier.classify(discrepancies, route: "r", evidence: recheck, noiseModel: nil).map(\.classification) == [.race, .regression])
        let versions = DiscrepancyClassifier.Evidence(versionsDiffer: true)
        #expect(DiscrepancyClassifier.classify(discrepancies, route: "r", evidence: versions, noiseModel: nil).map(\.classification) == [.race, .race])
    }
}
