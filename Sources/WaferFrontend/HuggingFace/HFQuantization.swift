import WaferIR
import WaferSupport

/// A checkpoint's `quantization_config`, reduced to one question: which storage format does a
/// given module's weight matrix have? nil means "not quantized" (the checkpoint's dtype).
///
/// Three methods are read, each by its library's own matching rules:
/// - `fp8` (transformers' FineGrainedFP8): every linear projection of the decoder in
///   `fmt` with one fp32 scale per `weight_block_size` block, except the entries of
///   `modules_to_not_convert`. The embedding, `lm_head` and routers stay unquantized, as in
///   every published FP8 checkpoint (DeepSeek-V3, Kimi K2, Qwen3-FP8).
/// - `compressed-tensors`: `config_groups` name their `targets` (`Linear`, `re:` regular
///   expressions matched at the start of the name, or module names); `ignore` removes modules
///   the same way. Only `nn.Linear` modules are candidates: projections, experts, shared
///   experts, `lm_head`, and routers of families whose router is a Linear.
/// - `mxfp4` (gpt-oss): the routed experts in MXFP4, except `modules_to_not_convert`.
///
/// `modules_to_not_convert` entries exclude a module when, read as a regular expression,
/// they match at the start of its name (transformers' mxfp4 rule), or when they occur in it
/// as plain text (the fp8 rule). Every regular expression is compiled by `ModulePattern`
/// (linear-time matching; a pattern outside its subset is an error at the entry).
struct HFQuantization {
    enum ModuleKind: Equatable {
        case linear
        case expert
        case router(isLinear: Bool)
        case lmHead
        case embedding
    }

    enum Matcher {
        case anyLinear
        case regex(ModulePattern)
        case literal(String)

        /// compressed-tensors' rule: `re:` patterns match at the start; names match exactly or
        /// as a dotted suffix (`lm_head` matches `language_model.lm_head`). Only `nn.Linear`
        /// modules are asked, so `Linear` matches every one.
        func matches(_ name: String) -> Bool {
            switch self {
            case .anyLinear: return true
            case let .regex(pattern): return pattern.matchesPrefix(name)
            case let .literal(text): return name == text || name.hasSuffix("." + text)
            }
        }
    }

    struct Group {
        var targets: [Matcher]
        var format: NumberFormat
    }

    enum Method {
        case fp8(NumberFormat, notConvert: [(ModulePattern?, String)])
        case compressed(groups: [Group], ignore: [Matcher])
        case mxfp4(notConvert: [(ModulePattern?, String)])
    }

    var method: Method
    /// One line for the YAML header: what the config said.
    var summary: String

    /// The format of `module`'s weight, or nil when it stays in the checkpoint's dtype.
    func format(module: String, kind: ModuleKind) -> NumberFormat? {
        switch method {
        case let .fp8(format, notConvert):
            guard kind == .linear || kind == .expert else { return nil }
            return HFQuantization.excluded(module, by: notConvert) ? nil : format
        case let .mxfp4(notConvert):
            guard kind == .expert else { return nil }
            return HFQuantization.excluded(module, by: notConvert) ? nil : .mxfp4
        case let .compressed(groups, ignore):
            let isLinear: Bool
            switch kind {
            case .linear, .expert, .lmHead: isLinear = true
            case let .router(linear): isLinear = linear
            case .embedding: isLinear = false
            }
            guard isLinear else { return nil }
            if ignore.contains(where: { $0.matches(module) }) { return nil }
            return groups.first { group in group.targets.contains { $0.matches(module) } }?.format
        }
    }

    static func excluded(_ module: String, by entries: [(ModulePattern?, String)]) -> Bool {
        entries.contains { pattern, text in
            module.contains(text) || (pattern?.matchesPrefix(module) ?? false)
        }
    }

    // MARK: Reading the config

    /// Reads `quantization_config`. Every unsupported choice is an error at its field.
    static func read(_ q: ConfigObject) throws(DiagnosticError) -> HFQuantization {
        let method = try q.string("quant_method", why: "it says how the checkpoint is quantized")
        switch method {
        case "fp8":
            let fmt = try q.optionalString("fmt") ?? "e4m3"
            let element: ElementType
            switch fmt {
            case "e4m3": element = .fp8_e4m3
            case "e5m2": element = .fp8_e5m2
            default: throw .error(ConfigFailure.quantization, "unsupported fp8 'fmt' '\(fmt)': WaferMap reads e4m3 and e5m2", at: q.location(of: "fmt"))
            }
            guard let block = try q.optionalInts("weight_block_size", in: 1...ModelLimits.blockSize) else {
                throw .error(ConfigFailure.quantization, "fp8 without 'weight_block_size' (one scale per tensor) is not supported; WaferMap reads block-scaled FP8",
                             at: q.location)
            }
            guard block.count == 2 else {
                throw .error(ConfigFailure.quantization, "'\(q.path)weight_block_size' takes two sizes, [rows, cols]", at: q.location(of: "weight_block_size"))
            }
            var format = NumberFormat(element)
            format.scaling = .block(rows: block[0], cols: block[1], scale: .fp32)
            let notConvert = try prefixPatterns(q, "modules_to_not_convert")
            return HFQuantization(method: .fp8(format, notConvert: notConvert),
                                  summary: "fp8 (\(fmt), one fp32 scale per \(block[0])x\(block[1]) block)" + excludedSummary(notConvert))
        case "mxfp4":
            let notConvert = try prefixPatterns(q, "modules_to_not_convert")
            return HFQuantization(method: .mxfp4(notConvert: notConvert),
                                  summary: "mxfp4 (routed experts; 4-bit values, one e8m0 scale per 32)" + excludedSummary(notConvert))
        case "compressed-tensors":
            return try readCompressed(q)
        default:
            throw .error(ConfigFailure.quantization, "unsupported quant_method '\(method)'", at: q.location(of: "quant_method"),
                         notes: [.note("WaferMap reads fp8 (block-scaled), compressed-tensors (int4/int8) and mxfp4")])
        }
    }

    static func excludedSummary(_ entries: [(ModulePattern?, String)]) -> String {
        entries.isEmpty ? "" : "; not converted: " + entries.map(\.1).joined(separator: ", ")
    }

    /// Entries a module list (`modules_to_not_convert`, `ignore`) may hold: real checkpoints list
    /// a handful (gpt-oss 4, Kimi K2.5 3); every entry is matched against every module name
    /// (about 70,000 in Kimi K2.5), so the list's length bounds the time.
    static let maxPatterns = 512

    static func prefixPatterns(_ q: ConfigObject, _ key: String) throws(DiagnosticError) -> [(ModulePattern?, String)] {
        guard let entries = try q.optionalStrings(key) else { return [] }
        try checkCount(entries, key: key, q: q)
        var result: [(ModulePattern?, String)] = []
        for (text, location) in entries {
            result.append((try pattern(text, at: location), text))
        }
        return result
    }

    /// Refuses a module list longer than `maxPatterns`, at its entry past the limit.
    static func checkCount(_ entries: [(String, SourceLocation)], key: String, q: ConfigObject) throws(DiagnosticError) {
        guard entries.count > maxPatterns else { return }
        throw .error(ConfigFailure.patternLimit, "'\(key)' lists \(entries.count) module patterns; WaferMap reads at most \(maxPatterns) (each is matched against every module name)",
                     at: entries[maxPatterns].1)
    }

    /// `text` compiled by `ModulePattern` (linear-time matching); a pattern outside its subset
    /// or its bounds is an error at the entry.
    static func pattern(_ text: String, at location: SourceLocation) throws(DiagnosticError) -> ModulePattern {
        do throws(ModulePattern.Refusal) {
            return try ModulePattern(text)
        } catch {
            throw .error(ConfigFailure.pattern, "regular expression '\(text.count > 60 ? String(text.prefix(57)) + "..." : text)' is refused: \(error.message) (character \(error.position) of the pattern)",
                         at: location,
                         notes: [.note("WaferMap matches literals, escapes, '.', classes, anchors, groups, '|', '*', '+', '?' and {n,m} up to {\(ModulePattern.maxRepeat)}, in linear time (docs/import.md)")])
        }
    }

    static func matcher(_ text: String, at location: SourceLocation) throws(DiagnosticError) -> Matcher {
        if text == "Linear" { return .anyLinear }
        if text.hasPrefix("re:") {
            return .regex(try pattern(String(text.dropFirst(3)), at: location))
        }
        return .literal(text)
    }

    static func readCompressed(_ q: ConfigObject) throws(DiagnosticError) -> HFQuantization {
        guard let groupsObject = try q.object("config_groups") else {
            throw q.missing("config_groups", "compressed-tensors lists its schemes there")
        }
        guard case let .mapping(pairs) = groupsObject.node.kind, !pairs.isEmpty else {
            throw .error(ConfigFailure.quantization, "'\(q.path)config_groups' is empty", at: groupsObject.location)
        }
        let format = try q.optionalString("format")
        var groups: [Group] = []
        var described: [String] = []
        for pair in pairs {
            let name = pair.key.scalarText ?? "?"
            let group = try ConfigObject(pair.value, path: groupsObject.path + name + ".")
            guard let weights = try group.object("weights") else {
                throw group.missing("weights", "the weight scheme of this group")
            }
            let bits = try weights.int("num_bits", in: 1...64, why: "the width of a quantized weight")
            let type = try weights.string("type", why: "int or float")
            let strategy = try weights.string("strategy", why: "group, channel or tensor")
            let symmetric = try weights.optionalBool("symmetric") ?? true
            if !symmetric {
                throw .error(ConfigFailure.quantization, "asymmetric quantization (zero points) is not supported", at: weights.location(of: "symmetric"))
            }
            guard type == "int" else {
                throw .error(ConfigFailure.quantization, "compressed-tensors '\(type)' weights are not supported; WaferMap reads int4 and int8", at: weights.location(of: "type"))
            }
            var element: NumberFormat
            switch (bits, strategy) {
            case (4, "group"):
                let size = try weights.int("group_size", in: 1...ModelLimits.blockSize, why: "group quantization needs it")
                element = NumberFormat(.int4, scaling: .group(size: size, scale: .bf16))
                if format != nil && format != "pack-quantized" {
                    throw .error(ConfigFailure.quantization, "int4 weights are read in the 'pack-quantized' format, found '\(format ?? "")'", at: q.location(of: "format"))
                }
            case (4, "channel"):
                element = NumberFormat(.int4, scaling: .channel(scale: .bf16))
            case (8, "channel"):
                element = NumberFormat(.int8, scaling: .channel(scale: .bf16))
            default:
                throw .error(ConfigFailure.quantization, "compressed-tensors \(bits)-bit '\(strategy)' weights are not supported; WaferMap reads int4 group or channel and int8 channel",
                             at: weights.location(of: "strategy"))
            }
            if let problem = element.validationProblem() {
                throw .error(ConfigFailure.quantization, "invalid scheme: \(problem)", at: weights.location)
            }
            var targets: [Matcher] = []
            for (text, location) in try group.optionalStrings("targets") ?? [("Linear", group.location)] {
                targets.append(try matcher(text, at: location))
            }
            groups.append(Group(targets: targets, format: element))
            described.append("\(name): \(element)")
        }
        var ignore: [Matcher] = []
        var ignoreTexts: [String] = []
        let ignoreEntries = try q.optionalStrings("ignore") ?? []
        try checkCount(ignoreEntries, key: "ignore", q: q)
        for (text, location) in ignoreEntries {
            ignore.append(try matcher(text, at: location))
            ignoreTexts.append(text)
        }
        let summary = "compressed-tensors \(format ?? "") (\(described.joined(separator: "; ")))"
            + (ignoreTexts.isEmpty ? "" : "; ignore: " + ignoreTexts.joined(separator: ", "))
        return HFQuantization(method: .compressed(groups: groups, ignore: ignore), summary: summary)
    }
}
