import Foundation

/// A knob's value: an integer, a decimal number, or a list of integers.
public enum PassOptionValue: Sendable, Hashable, CustomStringConvertible, Encodable {
    case integer(Int)
    case number(Double)
    case integers([Int])

    /// As `--pass-option` takes it: `40`, `0.5`, `3,12,48`.
    public var description: String {
        switch self {
        case let .integer(n): return "\(n)"
        case let .number(x): return "\(x)"
        case let .integers(list): return list.map(String.init).joined(separator: ",")
        }
    }

    /// A JSON number, or a list of numbers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .integer(n): try container.encode(n)
        case let .number(x): try container.encode(x)
        case let .integers(list): try container.encode(list)
        }
    }
}

/// One algorithm knob: its key (`SECTION.KNOB`), type, unit, allowed range, a one-line reason,
/// and how to read and write it in `PassOptions`.
public struct PassOptionKnob: Sendable {
    /// What values a knob takes.
    public enum Kind: Sendable {
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        /// A list of `count` integers, each in `each`.
        case integers(each: ClosedRange<Int>, count: ClosedRange<Int>)
    }

    public let section: String
    public let name: String
    public let kind: Kind
    /// The unit, in words: `steps`, `PEs`, `slot pitches`, `fraction of moves`.
    public let unit: String
    /// One line: what it does and why the default is what it is.
    public let summary: String
    let read: @Sendable (PassOptions) -> PassOptionValue
    let write: @Sendable (inout PassOptions, PassOptionValue) -> Void

    /// `SECTION.KNOB`, as `--pass-option` and the report name it.
    public var key: String { "\(section).\(name)" }

    /// The value in `PassOptions()`.
    public var defaultValue: PassOptionValue { read(PassOptions()) }

    /// The range in words: `1...1000`, `0.0...1.0`, `1 to 16 of 0...100000`.
    public var range: String {
        switch kind {
        case let .integer(r): return "\(r.lowerBound)...\(r.upperBound)"
        case let .number(r): return "\(r.lowerBound)...\(r.upperBound)"
        case let .integers(each, count): return "\(count.lowerBound) to \(count.upperBound) of \(each.lowerBound)...\(each.upperBound)"
        }
    }

    /// The type in words, for listings: `integer`, `number`, `integer list`.
    public var typeName: String {
        switch kind {
        case .integer: return "integer"
        case .number: return "number"
        case .integers: return "integer list"
        }
    }

    /// Throws unless `value` has this knob's type and lies in its range. O(list length).
    func check(_ value: PassOptionValue) throws(PassOptionError) {
        switch (kind, value) {
        case let (.integer(range), .integer(n)):
            guard range.contains(n) else { throw .outOfRange(key: key, value: value.description, range: self.range) }
        case let (.number(range), .number(x)):
            guard x.isFinite, range.contains(x) else { throw .outOfRange(key: key, value: value.description, range: self.range) }
        case let (.integers(each, count), .integers(list)):
            guard count.contains(list.count), list.allSatisfy(each.contains) else {
                throw .outOfRange(key: key, value: value.description, range: self.range)
            }
        default:
            throw .wrongType(key: key, value: value.description, expected: typeName)
        }
    }

    /// Reads `text` as this knob's type (`40`, `0.5`, `1e-9`, `3,12,48`; `_` separators
    /// allowed in integers), range unchecked. Throws `.wrongType`. O(length).
    func parse(_ text: String) throws(PassOptionError) -> PassOptionValue {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func integer(_ s: Substring) -> Int? {
            let digits = s.trimmingCharacters(in: .whitespaces).filter { $0 != "_" }
            return digits.isEmpty ? nil : Int(digits)
        }
        switch kind {
        case .integer:
            if let n = integer(Substring(trimmed)) { return .integer(n) }
        case .number:
            if let x = Double(trimmed.filter { $0 != "_" }), x.isFinite,
               trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE_".contains($0)) }) { return .number(x) }
        case .integers:
            let items = trimmed.split(separator: ",", omittingEmptySubsequences: false)
            let values = items.compactMap(integer)
            if !trimmed.isEmpty, values.count == items.count { return .integers(values) }
        }
        throw .wrongType(key: key, value: text, expected: typeName)
    }
}

extension PassOptionKnob {
    static func integer(_ section: String, _ name: String, _ path: WritableKeyPath<PassOptions, Int> & Sendable,
                        _ range: ClosedRange<Int>, unit: String, _ summary: String) -> PassOptionKnob {
        PassOptionKnob(section: section, name: name, kind: .integer(range), unit: unit, summary: summary,
                       read: { .integer($0[keyPath: path]) },
                       write: { options, value in if case let .integer(n) = value { options[keyPath: path] = n } })
    }

    static func number(_ section: String, _ name: String, _ path: WritableKeyPath<PassOptions, Double> & Sendable,
                       _ range: ClosedRange<Double>, unit: String, _ summary: String) -> PassOptionKnob {
        PassOptionKnob(section: section, name: name, kind: .number(range), unit: unit, summary: summary,
                       read: { .number($0[keyPath: path]) },
                       write: { options, value in if case let .number(x) = value { options[keyPath: path] = x } })
    }

    static func integers(_ section: String, _ name: String, _ path: WritableKeyPath<PassOptions, [Int]> & Sendable,
                         each: ClosedRange<Int>, count: ClosedRange<Int>, unit: String, _ summary: String) -> PassOptionKnob {
        PassOptionKnob(section: section, name: name, kind: .integers(each: each, count: count), unit: unit, summary: summary,
                       read: { .integers($0[keyPath: path]) },
                       write: { options, value in if case let .integers(list) = value { options[keyPath: path] = list } })
    }
}
