/// A value kept out of line, so an optional one costs its owner a pointer.
final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}
