import Foundation
import Testing
import WaferFrontend
import WaferSupport
import WaferTestSupport

/// The ID each bad model fixture fails with (docs/diagnostics.md): the failure a caller or a
/// test can match on, beside the text and location `BadInputTests` checks. Every error a bad
/// input produces is the input's fault (exit 1), never a bug.
@Suite struct DiagnosticIDTests {
    static let expected: [String: String] = [
        "absurd-hidden.yaml": "yaml.out-of-range",
        "absurd-total-parameters.yaml": "model.too-large",
        "bad-merge.yaml": "yaml.merge-key",
        "bad-op-name.yaml": "model.op-name",
        "bad-version.yaml": "model.version",
        "billion-laughs.yaml": "yaml.alias-limit",
        "comment-only.yaml": "yaml.empty-document",
        "deep-nesting.yaml": "yaml.too-deep",
        "duplicate-key.yaml": "yaml.duplicate-key",
        "duplicate-op-name.yaml": "model.duplicate-op",
        "embedding-not-first.yaml": "model.layer-order",
        "empty.yaml": "yaml.empty-document",
        "fuzz-timeout-20006-moe-layers.yaml": "model.too-many-layers",
        "gqa-divisible.yaml": "model.head-shape",
        "head-dim-indivisible.yaml": "model.head-shape",
        "huge-integer.yaml": "yaml.integer-overflow",
        "kv-exceeds-heads.yaml": "model.head-shape",
        "latin1.yaml": "yaml.invalid-utf8",
        "layer-without-mixer.yaml": "model.empty-decoder-layer",
        "lmhead-not-last.yaml": "model.layer-order",
        "missing-heads.yaml": "yaml.missing-key",
        "missing-layers.yaml": "yaml.missing-key",
        "mixed-repeat.yaml": "model.mixed-repeat",
        "mixer-outside-layer.yaml": "model.no-decoder-layers",
        "negative-size.yaml": "yaml.out-of-range",
        "norm-precision.yaml": "model.quantized-vector",
        "not-a-mapping.yaml": "yaml.not-mapping",
        "nul-byte.yaml": "yaml.syntax",
        "precision-bad-scale.yaml": "model.unknown-scale-type",
        "precision-float-with-group.yaml": "model.invalid-format",
        "precision-two-layouts.yaml": "model.scale-layout",
        "quantized-vectors.yaml": "model.quantized-vector",
        "repeat-zero.yaml": "yaml.out-of-range",
        "rope-odd.yaml": "model.rope-odd",
        "shared-without-count.yaml": "model.shared-experts",
        "syntax-error.yaml": "yaml.syntax",
        "tab-indent.yaml": "yaml.syntax",
        "too-many-layers.yaml": "model.too-many-layers",
        "topk-too-large.yaml": "model.top-k",
        "two-documents.yaml": "yaml.second-document",
        "unknown-activation.yaml": "model.unknown-activation",
        "unknown-alias.yaml": "yaml.undefined-alias",
        "unknown-key.yaml": "yaml.unknown-key",
        "unknown-kind.yaml": "model.unknown-kind",
        "unknown-precision.yaml": "model.unknown-precision",
        "unknown-role.yaml": "yaml.unknown-key",
        "unknown-top-key.yaml": "yaml.unknown-key",
        "wrong-type-bool.yaml": "yaml.not-bool",
        "wrong-type-float.yaml": "yaml.not-integer",
        "wrong-type-list.yaml": "yaml.not-integer",
        "wrong-type-quoted.yaml": "yaml.not-integer",
        "zero-size.yaml": "yaml.out-of-range",
    ]

    @Test func everyBadFixtureHasAnExpectedID() {
        #expect(Set(BadInput.all().map(\.file)) == Set(Self.expected.keys))
    }

    @Test(arguments: BadInput.all())
    func failsWithItsID(_ input: BadInput) {
        do {
            _ = try ModelLoader.load(path: TestPaths.fixture("bad/\(input.file)"))
            Issue.record("\(input.file) was accepted")
        } catch {
            #expect(error.diagnostics.first?.id?.name == Self.expected[input.file])
            #expect(error.diagnostics.allSatisfy { $0.severity != .error || $0.id?.fault == .input })
        }
    }
}
