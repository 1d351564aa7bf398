import WaferSupport

/// Every way reading a YAML file or decoding one of its values fails (docs/diagnostics.md).
public enum YAMLFailure: String, DiagnosticKind {
    /// The file does not exist.
    case noSuchFile = "yaml.no-such-file"
    /// The path names a directory.
    case isDirectory = "yaml.directory"
    /// The file or input is larger than the byte limit.
    case fileTooLarge = "yaml.file-too-large"
    /// The operating system refused to read the file.
    case unreadable = "yaml.unreadable"
    /// The bytes are not UTF-8.
    case invalidUTF8 = "yaml.invalid-utf8"
    /// The document is empty.
    case emptyDocument = "yaml.empty-document"
    /// libyaml could not start a parser (out of memory).
    case parserUnavailable = "yaml.parser-unavailable"
    /// libyaml rejects the text as YAML.
    case syntax = "yaml.syntax"
    /// Aliases make the document stand for more nodes than the limit.
    case aliasLimit = "yaml.alias-limit"
    /// The file holds a second YAML document.
    case secondDocument = "yaml.second-document"
    /// A scalar is longer than the limit.
    case scalarTooLarge = "yaml.scalar-too-large"
    /// An alias names no anchor defined before it.
    case undefinedAlias = "yaml.undefined-alias"
    /// Nesting is deeper than the limit.
    case tooDeep = "yaml.too-deep"
    /// A mapping repeats a key.
    case duplicateKey = "yaml.duplicate-key"
    /// A node carries a YAML tag.
    case tag = "yaml.tag"
    /// A merge key (`<<`) is given something other than mappings.
    case mergeKey = "yaml.merge-key"
    /// A string was expected.
    case notString = "yaml.not-string"
    /// Text holds a control character.
    case controlCharacter = "yaml.control-character"
    /// A name holds a bidirectional formatting character.
    case bidiCharacter = "yaml.bidi-character"
    /// An integer was expected.
    case notInteger = "yaml.not-integer"
    /// An integer does not fit in 64 bits.
    case integerOverflow = "yaml.integer-overflow"
    /// A number is outside the range its field allows.
    case outOfRange = "yaml.out-of-range"
    /// A number was expected.
    case notNumber = "yaml.not-number"
    /// `true` or `false` was expected.
    case notBool = "yaml.not-bool"
    /// A list was expected.
    case notList = "yaml.not-list"
    /// A mapping was expected.
    case notMapping = "yaml.not-mapping"
    /// A key is not a plain name.
    case keyNotName = "yaml.key-not-name"
    /// A mapping has a key its schema does not know.
    case unknownKey = "yaml.unknown-key"
    /// A mapping lacks a required key.
    case missingKey = "yaml.missing-key"
    /// libyaml's events are unbalanced (a bug in WaferMap's reader or libyaml).
    case invariant = "yaml.invariant"

    public static var stage: DiagnosticStage { .yaml }
    public var fault: Fault { self == .invariant ? .bug : .input }
}
