import NIOHTTP1
import TapCompareCore
import TapCompareMirroring
import Testing

@Suite("Sampling and admission")
struct SamplingTests {
    @Test("random sampling at 0.1 over 10,000 requests lands within 3 standard deviations of 1,000")
    func randomSamplingRate() {
        for seed: UInt64 in [1, 42, 0xdead_beef] {
            var sampler = Sampler(seed: seed)
            let sampled = (0..<10_000).filter { _ in sampler.shouldSample(rate: 0.1, key: nil) }.count
            // σ = √(n·p·(1−p)) = √900 = 30
            #expect(abs(sampled - 1_000) <= 90, "seed \(seed): \(sampled) sampled")
        }
    }

    @Test("keyed sampling at 0.1 over 10,000 distinct keys lands within 3 standard deviations of 1,000")
    func keyedSamplingRate() {
        var sampler = Sampler(seed: 7)
        let sampled = (0..<10_000).filter { sampler.shouldSample(rate: 0.1, key: "user-\($0)"[...]) }.count
        #expect(abs(sampled - 1_000) <= 90, "\(sampled) sampled")
    }

    @Test("a stable key gives the same decision every time, whatever the generator's state")
    func stableKey() {
        var a = Sampler(seed: 1)
        var b = Sampler(seed: 999)
        for user in 0..<200 {
            let key = "user-\(user)"[...]
            let first = a.shouldSample(rate: 0.3, key: key)
            for _ in 0..<5 {
                let again = a.shouldSample(rate: 0.3, key: key)
                let elsewhere = b.shouldSample(rate: 0.3, key: key)
                #expect(again == first)
                #expect(elsewhere == first)
            }
        }
    }

    @Test("rate 0 never samples, rate 1 always does")
    func extremes() {
        var sampler = Sampler(seed: 3)
        #expect((0..<1000).allSatisfy { _ in !sampler.shouldSample(rate: 0, key: nil) })
        #expect((0..<1000).allSatisfy { _ in sampler.shouldSample(rate: 1, key: nil) })
        let never = sampler.shouldSample(rate: 0, key: "k")
        let always = sampler.shouldSample(rate: 1, key: "k")
        #expect(!never)
        #expect(always)
    }

    @Test("sample key read from a header or a query parameter")
    func sampleKeyExtraction() {
        var headers = HTTPHeaders()
        headers.add(name: "X-User", value: "42")
        #expect(SampleKey.header("x-user").value(uri: "/", headers: headers) == "42")
        #expect(SampleKey.header("X-Other").value(uri: "/", headers: headers) == nil)
        let query = SampleKey.queryParameter("user")
        #expect(query.value(uri: "/a?x=1&user=abc&y=2", headers: [:]) == "abc")
        #expect(query.value(uri: "/a?username=abc", headers: [:]) == nil)
        #expect(query.value(uri: "/a", headers: [:]) == nil)
        #expect(query.value(uri: "/a?user=", headers: [:]) == "")
    }

    @Test("only safe methods are mirrored unless the route mirrors writes")
    func eligibility() {
        var sampler = Sampler(seed: 1)
        func decide(_ method: HTTPMethod, policy: RoutePolicy = RoutePolicy(), upgrade: Bool = false, candidate: Bool = true) -> MirrorEligibility {
            MirrorEligibility.decide(method: method, isUpgrade: upgrade, hasCandidate: candidate, policy: policy, globalRate: 1, key: nil, sampler: &sampler)
        }
        for method: HTTPMethod in [.GET, .HEAD, .OPTIONS] { #expect(decide(method) == .mirror) }
        for method: HTTPMethod in [.POST, .PUT, .PATCH, .DELETE] {
            #expect(decide(method) == .skip(.unsafeMethod))
            #expect(decide(method, policy: RoutePolicy(mirrorWrites: true)) == .mirror)
        }
        #expect(decide(.GET, upgrade: true) == .skip(.upgrade))
        #expect(decide(.CONNECT, policy: RoutePolicy(mirrorWrites: true)) == .skip(.upgrade))
        #expect(decide(.GET, policy: RoutePolicy(mirror: false)) == .skip(.routeDisabled))
        #expect(decide(.GET, candidate: false) == .skip(.noCandidate))
        #expect(decide(.GET, policy: RoutePolicy(sampleRate: 0)) == .skip(.notSampled))
        // A gRPC read (grpc.read_methods) is a POST that only reads: mirrored like a GET, still sampled and still
        // refused on a disabled route.
        let read = { (policy: RoutePolicy) in
            MirrorEligibility.decide(method: .POST, readsOnly: true, isUpgrade: false, hasCandidate: true, policy: policy, globalRate: 1, key: nil, sampler: &sampler)
        }
        #expect(read(RoutePolicy()) == .mirror)
        #expect(read(RoutePolicy(mirror: false)) == .skip(.routeDisabled))
        #expect(read(RoutePolicy(sampleRate: 0)) == .skip(.notSampled))
    }

    @Test("the in-flight limiter never admits more than its bound and frees slots on release")
    func limiter() {
        let limiter = InFlightLimiter(limit: 3)
        #expect((0..<3).allSatisfy { _ in limiter.tryAcquire() })
        #expect(!limiter.tryAcquire())
        #expect(limiter.inFlight == 3)
        limiter.release()
        #expect(limiter.tryAcquire())
        #expect(!limiter.tryAcquire())
    }

    @Test("the mirror body budget stops copying past the cap")
    func bodyBudget() {
        var budget = MirrorBodyBudget(maxBytes: 10)
        let first = budget.admit(6)
        let second = budget.admit(4)
        #expect(first && second)
        #expect(budget.fits)
        let third = budget.admit(1)
        #expect(!third)
        #expect(!budget.fits)
        #expect(budget.seen == 11)
    }
}
