/// One directive as written: its name, its arguments with the lines they sit on, and whether a block follows.
struct ConfigStatement {
    var name: String
    var line: Int
    var arguments: [String]
    var argumentLines: [Int]
    var opensBlock: Bool

    /// The only argument of a one-argument directive (the rule table has checked the count).
    var value: String { arguments[0] }
}
