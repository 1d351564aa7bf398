/// One exception route as a line of plan text (format 4; docs/plan-format.md, "Exception
/// routes"): eleven fields separated by single spaces, and `overlay` last on an overlay route:
///
///     WAFER OWNER TRANSFER LINE POSITION START MOVES COLORS EXTRA_HOPS RELAYS [overlay]
///     0 class:12 stream+leader 0 611 1384 NE2S 13 3 2
///
/// `OWNER` is `class:ID` or `bundle:ID`. `TRANSFER` is the roles the path carries joined by `+`,
/// the route's role first (`stream+leader`); when the carried roles do not start with the role,
/// `ROLE=CARRIES` (`stream=leader`). A route carries at least one transfer. `MOVES` is run-length: a letter (`N`, `E`,
/// `S`, `W`) and a count when above 1 (`E12N3` is twelve hops east then three north), `-` for
/// none. `COLORS` is the color runs, comma-separated: `C@H` holds color `C` from hop index `H`
/// on, `C` alone from hop 0 (`13`, `20,19@1,20@2`), `-` for none. Numbers are decimal integers
/// of at most `PlanLimits.maxInteger` in magnitude.
///
/// The writer and the reader are hand-written over the UTF-8 bytes: Foundation's JSON coders
/// see one string per route instead of fourteen values (a Kimi K2 plan with a 0.1% clustered
/// map lists ~136,000 routes). Both are O(text length + hops).
enum PlanRouteText {
    /// Why a route's text was refused, with the field it was in.
    struct Problem: Error { var message: String }

    static let fieldNames = ["wafer", "owner", "transfer", "line", "position", "start", "moves", "colors", "extra hops", "relays"]

    /// Route `k` of `e` as text (the lists must be rectangular). O(moves + runs).
    static func text(_ e: PlanExceptions, _ k: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(48 + e.moves[k].utf8.count / 2)
        func number(_ n: Int) { appendDecimal(n, to: &out) }
        func space() { out.append(UInt8(ascii: " ")) }
        number(e.wafer[k]); space()
        out.append(contentsOf: e.ownerKind[k].rawValue.utf8); out.append(UInt8(ascii: ":")); number(e.owner[k]); space()
        // The carried roles with `+` for `,`, after `ROLE=` unless they begin with the role.
        let carries = e.carries[k].utf8, role = e.role[k].rawValue.utf8
        let leads = carries.starts(with: role) && (carries.count == role.count || carries.dropFirst(role.count).first == UInt8(ascii: ","))
        if !leads { out.append(contentsOf: role); out.append(UInt8(ascii: "=")) }
        for byte in carries { out.append(byte == UInt8(ascii: ",") ? UInt8(ascii: "+") : byte) }
        space(); number(e.line[k]); space(); number(e.position[k]); space(); number(Int(e.start[k])); space()
        appendMoves(e.moves[k], to: &out); space()
        let colors = e.colors[k], starts = e.runStarts[k]
        if colors.isEmpty { out.append(UInt8(ascii: "-")) }
        for r in colors.indices {
            if r > 0 { out.append(UInt8(ascii: ",")) }
            number(colors[r])
            let from = r < starts.count ? starts[r] : 0
            if from != 0 { out.append(UInt8(ascii: "@")); number(from) }
        }
        space(); number(e.extraHops[k]); space(); number(e.relays[k])
        if e.overlay[k] { out.append(contentsOf: " overlay".utf8) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Run-length moves: each run's letter, then its length when above 1; `-` for none. O(moves).
    static func appendMoves(_ moves: String, to out: inout [UInt8]) {
        var letters = moves.utf8.makeIterator()
        guard var letter = letters.next() else { out.append(UInt8(ascii: "-")); return }
        var run = 1
        while true {
            let next = letters.next()
            if next == letter { run += 1; continue }
            out.append(letter)
            if run > 1 { appendDecimal(run, to: &out) }
            guard let n = next else { return }
            letter = n; run = 1
        }
    }

    /// `n` in decimal, without building a String. O(digits).
    static func appendDecimal(_ n: Int, to out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var v = n.magnitude
        let first = out.count
        repeat { out.append(UInt8(48 + v % 10)); v /= 10 } while v > 0
        out[first...].reverse()
    }

    /// Parses one route's text and appends it to `e`; adds its hops to `hops`, refused beyond
    /// `PlanLimits.maxExceptionHops`. O(text length + hops).
    static func parse(_ text: String, into e: inout PlanExceptions, hops: inout Int) throws(Problem) {
        var copy = text
        let parsed: Result<Route, Problem> = copy.withUTF8 { bytes in
            do throws(Problem) { return .success(try parse(bytes, hops: &hops)) } catch { return .failure(error) }
        }
        let r = try parsed.get()
        e.wafer.append(r.wafer); e.ownerKind.append(r.ownerKind); e.owner.append(r.owner); e.role.append(r.role); e.carries.append(r.carries)
        e.line.append(r.line); e.position.append(r.position); e.start.append(r.start); e.moves.append(r.moves)
        e.colors.append(r.colors); e.runStarts.append(r.runStarts); e.overlay.append(r.overlay); e.extraHops.append(r.extraHops); e.relays.append(r.relays)
    }

    /// A parsed route's fields.
    struct Route {
        var wafer = 0, ownerKind = PlanOwnerKind.lineClass, owner = 0, role = PlanRouteRole.stream, carries = ""
        var line = 0, position = 0, start: Int32 = 0, moves = "", colors: [Int] = [], runStarts: [Int] = []
        var overlay = false, extraHops = 0, relays = 0
    }

    /// The fields of a route's text, split at single spaces. O(text length + hops).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, hops: inout Int) throws(Problem) -> Route {
        var fields: [Slice<UnsafeBufferPointer<UInt8>>] = []
        var from = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: " ") {
            fields.append(bytes[from..<i]); from = i + 1
        }
        var overlay = false
        if fields.count == 11, String(decoding: fields[10], as: UTF8.self) == "overlay" { overlay = true; fields.removeLast() }
        guard fields.count == 10 else {
            throw Problem(message: "an exception route has 10 fields separated by single spaces (wafer, owner, transfer, line, position, start, moves, colors, extra hops, relays) and 'overlay' on an overlay route; this one has \(fields.count)")
        }
        var r = Route()
        r.overlay = overlay
        r.wafer = try integer(fields[0], field: 0)
        let owner = fields[1]
        guard let colon = owner.firstIndex(of: UInt8(ascii: ":")), let kind = PlanOwnerKind(rawValue: String(decoding: owner[owner.startIndex..<colon], as: UTF8.self)) else {
            throw Problem(message: "owner: '\(String(decoding: owner, as: UTF8.self))' is not class:ID or bundle:ID")
        }
        r.ownerKind = kind
        r.owner = try integer(owner[(colon + 1)...], field: 1)
        (r.role, r.carries) = try transfer(fields[2])
        r.line = try integer(fields[3], field: 3)
        r.position = try integer(fields[4], field: 4)
        let start = try integer(fields[5], field: 5)
        guard start >= 0 else { throw Problem(message: "start: a PE id is not negative") }
        r.start = Int32(start)
        r.moves = try moves(fields[6], hops: &hops)
        (r.colors, r.runStarts) = try colorRuns(fields[7])
        r.extraHops = try integer(fields[8], field: 8)
        r.relays = try integer(fields[9], field: 9)
        return r
    }

    /// A decimal integer of at most `PlanLimits.maxInteger` in magnitude. O(digits).
    static func integer(_ s: Slice<UnsafeBufferPointer<UInt8>>, field: Int) throws(Problem) -> Int {
        var i = s.startIndex, negative = false
        if i < s.endIndex && s[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < s.endIndex, s.endIndex - i <= 10 else {
            throw Problem(message: "\(fieldNames[field]): '\(String(decoding: s, as: UTF8.self))' is not an integer of at most 10 digits")
        }
        var value = 0
        while i < s.endIndex {
            let d = Int(s[i]) - 48
            guard d >= 0 && d <= 9 else { throw Problem(message: "\(fieldNames[field]): '\(String(decoding: s, as: UTF8.self))' is not an integer") }
            value = value * 10 + d; i += 1
        }
        guard value <= PlanLimits.maxInteger else { throw Problem(message: "\(fieldNames[field]): \(negative ? "-" : "")\(value) is beyond ±\(PlanLimits.maxInteger)") }
        return negative ? -value : value
    }

    /// `stream+leader` or `stream=leader`: the role and the carried roles (comma-joined), read
    /// byte by byte against the four role words. O(length).
    static func transfer(_ s: Slice<UnsafeBufferPointer<UInt8>>) throws(Problem) -> (PlanRouteRole, String) {
        var roles: [PlanRouteRole] = [], carried = "", role: PlanRouteRole?
        var from = s.startIndex
        for i in s.startIndex...s.endIndex where i == s.endIndex || s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "=") {
            let word = s[from..<i]
            let separator: UInt8 = i < s.endIndex ? s[i] : 0
            from = i + 1
            guard let r = PlanRouteText.roles.first(where: { word.elementsEqual($0.bytes) })?.role else {
                throw Problem(message: "transfer: " + PlanRouteRole.unknown(String(decoding: word, as: UTF8.self)))
            }
            if separator == UInt8(ascii: "=") {
                guard role == nil, roles.isEmpty else { throw Problem(message: "transfer: '\(String(decoding: s, as: UTF8.self))' names one role before '='") }
                role = r; continue
            }
            if !roles.isEmpty { carried += "," }
            carried += r.rawValue
            roles.append(r)
        }
        return (role ?? roles[0], carried)
    }

    /// The role words as bytes, for `transfer`.
    static let roles: [(role: PlanRouteRole, bytes: [UInt8])] = PlanRouteRole.allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// Run-length moves expanded to one letter per hop; each count 1 ... `PlanLimits.maxFabricSide`.
    /// O(hops).
    static func moves(_ s: Slice<UnsafeBufferPointer<UInt8>>, hops: inout Int) throws(Problem) -> String {
        if s.count == 1 && s.first == UInt8(ascii: "-") { return "" }
        var out: [UInt8] = []
        var i = s.startIndex
        guard i < s.endIndex else { throw Problem(message: "moves: empty (write '-' for none)") }
        while i < s.endIndex {
            let letter = s[i]
            guard letter == UInt8(ascii: "N") || letter == UInt8(ascii: "E") || letter == UInt8(ascii: "S") || letter == UInt8(ascii: "W") else {
                throw Problem(message: "moves: '\(String(decoding: s, as: UTF8.self))' is not runs of N, E, S, W each with an optional count")
            }
            i += 1
            var count = 0, digits = 0
            while i < s.endIndex, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9"), digits < 5 { count = count * 10 + Int(s[i]) - 48; i += 1; digits += 1 }
            if digits == 0 { count = 1 }
            guard count >= 1 && count <= PlanLimits.maxFabricSide else {
                throw Problem(message: "moves: a run of \(count) hops; a run is 1 to \(PlanLimits.maxFabricSide) hops")
            }
            hops += count
            guard hops <= PlanLimits.maxExceptionHops else {
                throw Problem(message: "moves: the plan's exception routes take more than \(PlanLimits.maxExceptionHops) hops")
            }
            out.append(contentsOf: repeatElement(letter, count: count))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `13`, `20,19@1`: colors and the hop index each holds from. O(length).
    static func colorRuns(_ s: Slice<UnsafeBufferPointer<UInt8>>) throws(Problem) -> ([Int], [Int]) {
        if s.count == 1 && s.first == UInt8(ascii: "-") { return ([], []) }
        var colors: [Int] = [], starts: [Int] = []
        var from = s.startIndex
        for i in s.startIndex...s.endIndex where i == s.endIndex || s[i] == UInt8(ascii: ",") {
            let run = s[from..<i]
            if let at = run.firstIndex(of: UInt8(ascii: "@")) {
                colors.append(try integer(run[run.startIndex..<at], field: 7))
                starts.append(try integer(run[(at + 1)..<run.endIndex], field: 7))
            } else {
                colors.append(try integer(run, field: 7)); starts.append(0)
            }
            from = i + 1
        }
        return (colors, starts)
    }
}

extension PlanExceptions: Codable {
    /// One string per route (`PlanRouteText`). O(routes + hops).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(isRectangular ? (0..<count).map { PlanRouteText.text(self, $0) } : [])
    }

    /// Reads the route strings; a refused one is a `DecodingError` at its index (the reader
    /// turns it into the string's line and column). O(text length + hops).
    public init(from decoder: any Decoder) throws {
        let texts = try decoder.singleValueContainer().decode([String].self)
        self.init()
        reserve(texts.count)
        var hops = 0
        for (k, text) in texts.enumerated() {
            do throws(PlanRouteText.Problem) {
                try PlanRouteText.parse(text, into: &self, hops: &hops)
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [RouteIndex(intValue: k)], debugDescription: error.message))
            }
        }
    }

    /// Room for `n` routes in every list. O(n).
    public mutating func reserve(_ n: Int) {
        wafer.reserveCapacity(n); ownerKind.reserveCapacity(n); owner.reserveCapacity(n); role.reserveCapacity(n); carries.reserveCapacity(n)
        line.reserveCapacity(n); position.reserveCapacity(n); start.reserveCapacity(n); moves.reserveCapacity(n); colors.reserveCapacity(n)
        runStarts.reserveCapacity(n); overlay.reserveCapacity(n); extraHops.reserveCapacity(n); relays.reserveCapacity(n)
    }

    /// A route's index in a coding path.
    private struct RouteIndex: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { return nil }
    }
}
