/// The studies `wafermap merge` knows, by the `study` field of their partial results. A
/// shardable study (one whose command takes `--shard K/N`) adds its merger here.
enum StudyKinds {
    static let mergers: [String: StudyMerge.Merger] = [
        SweepReport.studyKind: SweepReport.mergeParts,
        YieldStudy.kind: YieldStudy.merger,
    ]
}
