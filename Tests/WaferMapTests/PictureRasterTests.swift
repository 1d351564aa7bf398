import Foundation
import Testing
import WaferTestSupport

/// Every kind of picture WaferMap draws goes through a real SVG renderer: rsvg-convert (Debian's
/// librsvg2-bin, installed by scripts/ensure-deps.sh, as README's figures are converted) must
/// rasterise it to a PNG of the SVG's own width and height. A well-formed XML file can still be
/// an SVG no renderer draws (a bad reference, a broken path, a negative size); this catches it.
@Suite struct PictureRasterTests {
    /// Runs rsvg-convert on `svg`; returns the PNG's width and height from its IHDR chunk.
    static func rasterise(_ svg: URL) throws -> (width: Int, height: Int) {
        let png = svg.deletingPathExtension().appendingPathExtension("png")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["rsvg-convert", svg.path, "-o", png.path]
        let errors = Pipe()
        p.standardError = errors
        try p.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "rsvg-convert \(svg.lastPathComponent) (run scripts/ensure-deps.sh if it is missing): \(message)")
        let bytes = [UInt8](try Data(contentsOf: png))
        try #require(bytes.count > 24 && bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(png.lastPathComponent) is not a PNG")
        func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// The SVG's declared width and height.
    static func declaredSize(_ svg: URL) throws -> (width: Int, height: Int) {
        let text = try String(contentsOf: svg, encoding: .utf8)
        let m = try #require(text.firstMatch(of: #/<svg [^>]*width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/#))
        return (Int(Double(m.output.1)!.rounded()), Int(Double(m.output.2)!.rounded()))
    }

    @Test func everyPictureKindRendersAtItsDeclaredSize() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-raster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pictures = dir.appendingPathComponent("pictures")
        let compile = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32", "--wafers", "3", "--defect-rate", "0.02", "--clustered",
                                   "--repair", "none", "--seed", "3", "-o", dir.appendingPathComponent("p.plan.json").path, "--svg", pictures.path])
        #expect(compile.status == 0, "\(compile.stderr)")
        let sweep = try CLI.run(["sweep", "examples/models/tiny.yaml", "--target", "small64", "--extra-wafers", "1", "--svg", dir.appendingPathComponent("sweep.svg").path])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let yield = try CLI.run(["yield", "examples/models/tiny.yaml", "--target", "small64", "--maps", "4", "--defect-rate", "0.01", "--svg", dir.appendingPathComponent("yield.svg").path])
        #expect(yield.status == 0, "\(yield.stderr)")

        var files = try FileManager.default.contentsOfDirectory(at: pictures, includingPropertiesForKeys: nil).filter { $0.pathExtension == "svg" }
        files += [dir.appendingPathComponent("sweep.svg"), dir.appendingPathComponent("yield.svg")]
        let names = Set(files.map(\.lastPathComponent))
        for kind in ["wafer-00.svg", "overview.svg", "time-split.svg", "sweep.svg", "yield.svg"] { #expect(names.contains(kind), "\(kind) was not drawn") }
        for svg in files.sorted(by: { $0.path < $1.path }) {
            let declared = try Self.declaredSize(svg), drawn = try Self.rasterise(svg)
            #expect(drawn.width == declared.width && drawn.height == declared.height, "\(svg.lastPathComponent): drawn \(drawn), declared \(declared)")
        }
    }
}
