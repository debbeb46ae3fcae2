/// Growable stacks (one per element type, non-generic so array allocation needs no generic metadata lookup) that hands out its top elements by *moving* them into an exact-size array.
///
/// The parser pushes a container's children here while it parses them; at the container's end they are moved
/// (not copied) into the container's own array. Compared with appending to a growing array per container,
/// this saves the regrowth reallocations; compared with `Array(stack[base...])` it saves a retain and a release
/// per child. Elements left on the stack when parsing fails are released in `deinit`.
final class JSONValueStack {
    private var base: UnsafeMutablePointer<JSONValue>
    private var capacity = 0
    private(set) var count = 0

    /// Nothing is allocated until the first push: a lockstep walk (``JSONParser/parseForDiff(_:_:options:identityKeys:)``)
    /// builds no container in most comparisons.
    init() {
        // Never read nor freed while the capacity is 0.
        self.base = UnsafeMutablePointer(bitPattern: MemoryLayout<JSONValue>.alignment)!
    }

    deinit {
        guard self.capacity > 0 else { return }
        self.base.deinitialize(count: self.count)
        self.base.deallocate()
    }

    @inline(__always)
    func push(_ element: consuming JSONValue) {
        if self.count == self.capacity { self.grow() }
        (self.base + self.count).initialize(to: element)
        self.count += 1
    }

    private func grow() {
        let newCapacity = max(64, self.capacity * 2)
        let newBase = UnsafeMutablePointer<JSONValue>.allocate(capacity: newCapacity)
        if self.capacity > 0 {
            newBase.moveInitialize(from: self.base, count: self.count)
            self.base.deallocate()
        }
        self.base = newBase
        self.capacity = newCapacity
    }

    /// Moves the elements from index `start` to the top into a new array and pops them.
    func popArray(from start: Int) -> [JSONValue] {
        let n = self.count - start
        // `reserveCapacity` + `append` is specialized in this module; `init(unsafeUninitializedCapacity:)`
        // is not, and looks up generic metadata on every call.
        var result = [JSONValue]()
        result.reserveCapacity(n)
        for i in start..<self.count { result.append((self.base + i).move()) }
        self.count = start
        return result
    }
}

final class JSONMemberStack {
    private var base: UnsafeMutablePointer<JSONObject.Member>
    private var capacity = 0
    private(set) var count = 0

    /// Nothing is allocated until the first push: a lockstep walk (``JSONParser/parseForDiff(_:_:options:identityKeys:)``)
    /// builds no container in most comparisons.
    init() {
        // Never read nor freed while the capacity is 0.
        self.base = UnsafeMutablePointer(bitPattern: MemoryLayout<JSONObject.Member>.alignment)!
    }

    deinit {
        guard self.capacity > 0 else { return }
        self.base.deinitialize(count: self.count)
        self.base.deallocate()
    }

    @inline(__always)
    func push(_ element: consuming JSONObject.Member) {
        if self.count == self.capacity { self.grow() }
        (self.base + self.count).initialize(to: element)
        self.count += 1
    }

    private func grow() {
        let newCapacity = max(64, self.capacity * 2)
        let newBase = UnsafeMutablePointer<JSONObject.Member>.allocate(capacity: newCapacity)
        if self.capacity > 0 {
            newBase.moveInitialize(from: self.base, count: self.count)
            self.base.deallocate()
        }
        self.base = newBase
        self.capacity = newCapacity
    }

    subscript(i: Int) -> JSONObject.Member { self.base[i] }

    /// Moves the elements from index `start` to the top into a new array and pops them.
    func popArray(from start: Int) -> [JSONObject.Member] {
        let n = self.count - start
        // `reserveCapacity` + `append` is specialized in this module; `init(unsafeUninitializedCapacity:)`
        // is not, and looks up generic metadata on every call.
        var result = [JSONObject.Member]()
        result.reserveCapacity(n)
        for i in start..<self.count { result.append((self.base + i).move()) }
        self.count = start
        return result
    }
}
