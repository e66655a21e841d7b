import JVPCore
import Testing

@testable import JVPScript

/// A float32 tensor; `shape` defaults to 1-d.
func f32(_ values: [Double], _ shape: [Int]? = nil) -> Tensor {
  Tensor(shape: shape ?? [values.count], float32: values.map { Float($0) })
}

/// A float64 tensor; `shape` defaults to 1-d.
func f64(_ values: [Double], _ shape: [Int]? = nil) -> Tensor {
  Tensor(shape: shape ?? [values.count], float64: values)
}

/// An int64 tensor; `shape` defaults to 1-d.
func i64(_ values: [Int64], _ shape: [Int]? = nil) -> Tensor {
  Tensor(shape: shape ?? [values.count], int64: values)
}

/// `torch.arange(n, dtype=float32)`.
func arange32(_ n: Int) -> [Double] { (0..<n).map(Double.init) }

/// `torch.arange(n, dtype=float32) / 7`, divided in float32 as PyTorch does.
func arange32Over7(_ n: Int) -> [Double] { (0..<n).map { Double(Float($0) / Float(7)) } }

func repr(_ tensor: Tensor) -> String { TorchFormatter.repr(tensor) }

@Suite("torch-display.md §2: the element formatter")
struct ElementFormatterExamples {
  @Test func integerModeAndItsSciThreshold() {
    #expect(repr(f32([1, 2, 3])) == "tensor([1., 2., 3.])")
    #expect(repr(f32([1, 1000])) == "tensor([   1., 1000.])")
    #expect(repr(f32([1, 1001])) == "tensor([1.0000e+00, 1.0010e+03])")
  }

  @Test func fixedMode() {
    #expect(repr(f32([1.5, 2, -3])) == "tensor([ 1.5000,  2.0000, -3.0000])")
    #expect(repr(f32([0.1, 0.25, 100])) == "tensor([  0.1000,   0.2500, 100.0000])")
    #expect(repr(f32([0.1, 100])) == "tensor([  0.1000, 100.0000])")
    #expect(repr(f32([0.1, 100.1])) == "tensor([1.0000e-01, 1.0010e+02])")
  }

  @Test func sciModeFromTheSmallestValue() {
    #expect(repr(f32([1e-5, -2, 3, 4], [2, 2])) == """
      tensor([[ 1.0000e-05, -2.0000e+00],
              [ 3.0000e+00,  4.0000e+00]])
      """)
    #expect(repr(f32([1e-4], [])) == "tensor(1.0000e-04)")
    #expect(repr(f64([1e-4], [])) == "tensor(0.0001, dtype=torch.float64)")
  }

  @Test func sciModeFromTheLargestValue() {
    #expect(repr(f32([1e8], [])) == "tensor(100000000.)")
    #expect(repr(f32([1.5e8], [])) == "tensor(1.5000e+08)")
    #expect(repr(f32([123456], [])) == "tensor(123456.)")
  }

  @Test func nanAndInfAreNotMeasured() {
    #expect(repr(f32([.nan, 1])) == "tensor([nan, 1.])")
    #expect(repr(f32([.nan, 1.5])) == "tensor([   nan, 1.5000])")
    #expect(repr(f32([.infinity, -.infinity, 1])) == "tensor([inf, -inf, 1.])")
    #expect(repr(f32([.nan, .infinity])) == "tensor([nan, inf])")
    #expect(repr(f32([.infinity, -.infinity, 1.5e10])) == "tensor([       inf,       -inf, 1.5000e+10])")
  }

  @Test func negativeZero() {
    #expect(repr(f32([-0.0, 0])) == "tensor([-0., 0.])")
    #expect(repr(f32([-0.0, 1.5])) == "tensor([-0.0000, 1.5000])")
    #expect(repr(f32([-0.0], [])) == "tensor(-0.)")
    #expect(repr(f32([2, 2, -0.0])) == "tensor([2., 2., -0.])")
    #expect(repr(f32([-0.0, 1.5, 1e-5])) == "tensor([-0.0000e+00, 1.5000e+00, 1.0000e-05])")
    #expect(repr(f64([1e100, 1])) == "tensor([1.0000e+100,  1.0000e+00], dtype=torch.float64)")
  }

  @Test func nanWithTheSignBitPrintsAsNan() {
    let negativeNaN = Double(bitPattern: 0xfff8_0000_0000_0000)
    #expect(negativeNaN.sign == .minus)
    #expect(repr(f64([negativeNaN], [])) == "tensor(nan, dtype=torch.float64)")
    #expect(repr(f32([negativeNaN, 1.5])) == "tensor([   nan, 1.5000])")
    #expect(PythonRepr.float(negativeNaN) == "nan")
  }

  @Test func correctRoundingTiesToEven() {
    #expect(repr(f32([12345.678], [])) == "tensor(12345.6777)")
    #expect(repr(f32([1.03125], [])) == "tensor(1.0312)")
  }

  @Test func integersAreRightAligned() {
    #expect(repr(i64([1, 2, -30])) == "tensor([  1,   2, -30])")
    #expect(repr(i64([1, 2])) == "tensor([1, 2])")
    #expect(repr(i64([5], [])) == "tensor(5)")
  }

  @Test func hiddenElementsDoNotAffectTheFormat() {
    var values = [Double](repeating: 1, count: 1001)
    values[500] = 1e9
    #expect(repr(f32(values)) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])")
  }
}

@Suite("torch-display.md §3: layout")
struct LayoutExamples {
  @Test func zeroDimensional() {
    #expect(repr(f32([3], [])) == "tensor(3.)")
    #expect(repr(f32([3.5], [])) == "tensor(3.5000)")
    #expect(repr(f32([1e10], [])) == "tensor(1.0000e+10)")
    #expect(repr(f32([.nan], [])) == "tensor(nan)")
  }

  @Test func twoAndFourDimensional() {
    #expect(repr(f32(arange32(6), [2, 3])) == """
      tensor([[0., 1., 2.],
              [3., 4., 5.]])
      """)
    #expect(repr(f32(arange32(16), [2, 2, 2, 2])) == """
      tensor([[[[ 0.,  1.],
                [ 2.,  3.]],

               [[ 4.,  5.],
                [ 6.,  7.]]],


              [[[ 8.,  9.],
                [10., 11.]],

               [[12., 13.],
                [14., 15.]]]])
      """)
  }

  @Test func itemsPerLine() {
    #expect(repr(f32(arange32(30))) == """
      tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,
              14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,
              28., 29.])
      """)
    #expect(repr(f32(arange32Over7(30))) == """
      tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,
              1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,
              2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,
              3.8571, 4.0000, 4.1429])
      """)
  }

  @Test func closingBracketsAreNotCounted() {
    let text = repr(f32(arange32Over7(18), [2, 9]))
    #expect(text == """
      tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429],
              [1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286]])
      """)
    #expect(text.split(separator: "\n").map(\.count) == [81, 82])
  }

  @Test func summarisedOneDimensional() {
    #expect(repr(f32(arange32(1001))) == "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])")
    #expect(repr(f32(arange32Over7(1001))) == "tensor([  0.0000,   0.1429,   0.2857,  ..., 142.5714, 142.7143, 142.8571])")
  }

  @Test func summarisedRows() {
    #expect(repr(i64((0..<1400).map(Int64.init), [7, 200])) == """
      tensor([[   0,    1,    2,  ...,  197,  198,  199],
              [ 200,  201,  202,  ...,  397,  398,  399],
              [ 400,  401,  402,  ...,  597,  598,  599],
              ...,
              [ 800,  801,  802,  ...,  997,  998,  999],
              [1000, 1001, 1002,  ..., 1197, 1198, 1199],
              [1200, 1201, 1202,  ..., 1397, 1398, 1399]])
      """)
    #expect(repr(i64((0..<1050).map(Int64.init), [7, 1, 150])) == """
      tensor([[[   0,    1,    2,  ...,  147,  148,  149]],

              [[ 150,  151,  152,  ...,  297,  298,  299]],

              [[ 300,  301,  302,  ...,  447,  448,  449]],

              ...,

              [[ 600,  601,  602,  ...,  747,  748,  749]],

              [[ 750,  751,  752,  ...,  897,  898,  899]],

              [[ 900,  901,  902,  ..., 1047, 1048, 1049]]])
      """)
  }

  @Test func summarisedSciRowsWrap() {
    #expect(repr(f32(arange32(2000), [40, 50])) == """
      tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,
               4.9000e+01],
              [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,
               9.9000e+01],
              [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,
               1.4900e+02],
              ...,
              [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,
               1.8990e+03],
              [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,
               1.9490e+03],
              [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,
               1.9990e+03]])
      """)
  }

  @Test func aLineCanStartWithTheEllipsis() {
    #expect(repr(i64((0...1000).map { Int64($0) * 1_000_000_000_000_000 })) == """
      tensor([                  0,    1000000000000000,    2000000000000000,
               ...,  998000000000000000,  999000000000000000,
              1000000000000000000])
      """)
  }

  @Test func emptyTensors() {
    #expect(repr(f32([], [0])) == "tensor([])")
    #expect(repr(f32([], [0, 3])) == "tensor([], size=(0, 3))")
    #expect(repr(i64([], [0])) == "tensor([], dtype=torch.int64)")
    #expect(repr(i64([], [2, 0, 3])) == "tensor([], size=(2, 0, 3), dtype=torch.int64)")
    #expect(repr(f64([], [0])) == "tensor([], dtype=torch.float64)")
  }

  @Test func onlyTheShownElementsAreFormatted() {
    #expect(TorchFormatter.shownIndices(shape: [1000, 1000], summarize: true).count == 36)
    #expect(TorchFormatter.shownIndices(shape: [7, 2], summarize: true) == [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13])
    let big = Tensor(repeating: 0.5, shape: [1000, 1000], dtype: .float32)
    let text = repr(big)
    #expect(text.hasPrefix("tensor([[0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000],\n"))
    #expect(text.split(separator: "\n").count == 7)
  }
}

@Suite("torch-display.md §4: suffixes")
struct SuffixExamples {
  @Test func dtypeWraps() {
    #expect(repr(f64([10000.5, 10000.5, 10000.5, 10000.5]))
      == "tensor([10000.5000, 10000.5000, 10000.5000, 10000.5000], dtype=torch.float64)")
    #expect(repr(f64([100000.5, 100000.5, 100000.5, 100000.5])) == """
      tensor([100000.5000, 100000.5000, 100000.5000, 100000.5000],
             dtype=torch.float64)
      """)
    #expect(repr(f64([1, 2, 3, 4], [2, 2])) == """
      tensor([[1., 2.],
              [3., 4.]], dtype=torch.float64)
      """)
  }

  @Test func autogradSuffixFollowsTheDtype() {
    #expect(TorchFormatter.repr(f64([1.5, 1.5, 1.5, 1.5, 1.5]), autogradSuffix: "requires_grad=True") == """
      tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000], dtype=torch.float64,
             requires_grad=True)
      """)
    #expect(TorchFormatter.repr(f64([3, 3, 3, 3, 3]), autogradSuffix: "grad_fn=<MulBackward0>")
      == "tensor([3., 3., 3., 3., 3.], dtype=torch.float64, grad_fn=<MulBackward0>)")
    #expect(TorchFormatter.repr(f32([1, 2]), autogradSuffix: "requires_grad=True")
      == "tensor([1., 2.], requires_grad=True)")
  }
}

@Suite("torch-display.md §5: other reprs")
struct OtherReprExamples {
  @Test func sizes() {
    #expect(TorchFormatter.sizeRepr([2, 3]) == "torch.Size([2, 3])")
    #expect(TorchFormatter.sizeRepr([5]) == "torch.Size([5])")
    #expect(TorchFormatter.sizeRepr([]) == "torch.Size([])")
    #expect(TorchFormatter.pythonTuple([2, 3]) == "(2, 3)")
    #expect(TorchFormatter.pythonTuple([5]) == "(5,)")
  }

  @Test(arguments: [
    (0.1, "0.1"), (0.0001, "0.0001"), (1e-05, "1e-05"), (1e15, "1000000000000000.0"), (1e16, "1e+16"),
    (9999999999999998.0, "9999999999999998.0"), (1.2345678901234568e+17, "1.2345678901234568e+17"),
    (1e100, "1e+100"), (Double.leastNonzeroMagnitude, "5e-324"), (-0.0, "-0.0"), (Double.nan, "nan"), (Double.infinity, "inf"),
    (-Double.infinity, "-inf"), (9.5e15, "9500000000000000.0"), (3.0, "3.0"), (123.456, "123.456"),
    (-2.5e-7, "-2.5e-07"),
  ])
  func pythonFloat(value: Double, expected: String) {
    #expect(PythonRepr.float(value) == expected)
  }

  @Test func tolist() {
    #expect(PythonRepr.list(f32([0.1, 0.2, 1.0, 1e-5, 123456789]))
      == "[0.10000000149011612, 0.20000000298023224, 1.0, 9.999999747378752e-06, 123456792.0]")
    #expect(PythonRepr.list(f32([3], [])) == "3.0")
    #expect(PythonRepr.list(i64([1, 2, 3, 4], [2, 2])) == "[[1, 2], [3, 4]]")
    #expect(PythonRepr.list(f64([.nan, .infinity, -.infinity, -0.0])) == "[nan, inf, -inf, -0.0]")
    #expect(PythonRepr.list(f32([], [2, 0])) == "[[], []]")
    #expect(PythonRepr.list(f32([], [0, 3])) == "[]")
  }
}

/// Shorthands for building `DisplayValue`s in the pretty-printer examples.
func atom(_ tensor: Tensor) -> DisplayValue { .atom(TorchFormatter.repr(tensor)) }
func atom(_ text: String) -> DisplayValue { .atom(text) }
func pretty(_ value: DisplayValue) -> String { PrettyPrinter.pretty(value) }

@Suite("torch-display.md §6: IPython pretty")
struct PrettyExamples {
  @Test func fitOnOneLine() {
    #expect(pretty(.tuple([atom(f32([1, 2])), atom(i64([3], []))])) == "(tensor([1., 2.]), tensor(3))")
    #expect(pretty(.tuple([atom("torch.Size([2, 3])"), atom("torch.float32"), atom("0.1")]))
      == "(torch.Size([2, 3]), torch.float32, 0.1)")
    #expect(pretty(.tuple([.tuple([atom("1"), atom("2")]), .tuple([atom("3"), .tuple([atom("4"), atom("5")])])]))
      == "((1, 2), (3, (4, 5)))")
  }

  @Test func singletonsAndEmpties() {
    #expect(pretty(.tuple([atom(f32([1], []))])) == "(tensor(1.),)")
    #expect(pretty(.tuple([.tuple([atom("1")])])) == "((1,),)")
    #expect(pretty(.tuple([atom("1")])) == "(1,)")
    #expect(pretty(.list([atom(f32([1], []))])) == "[tensor(1.)]")
    #expect(pretty(.tuple([])) == "()")
    #expect(pretty(.list([])) == "[]")
    #expect(pretty(atom("3.0")) == "3.0")
  }

  @Test func multiLineTensors() {
    let a = atom(f32(arange32(6), [2, 3]))
    let b = atom(i64([0, 1, 2, 3], [2, 2]))
    let expected = """
      (tensor([[0., 1., 2.],
               [3., 4., 5.]]),
       tensor([[0, 1],
               [2, 3]]))
      """
    #expect(pretty(.tuple([a, b])) == expected)
    #expect(pretty(.list([a, b])) == "[" + expected.dropFirst().dropLast() + "]")
  }

  @Test func onlyTheOuterGroupBreaks() {
    func ints(_ values: [Int], times: Int) -> DisplayValue {
      .tuple(Array(repeating: values, count: times).flatMap { $0 }.map { atom(String($0)) })
    }
    #expect(pretty(.tuple([ints([1, 2, 3], times: 4), ints([4, 5, 6], times: 4), ints([7, 8], times: 3)])) == """
      ((1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3),
       (4, 5, 6, 4, 5, 6, 4, 5, 6, 4, 5, 6),
       (7, 8, 7, 8, 7, 8))
      """)
    let flat = pretty(.tuple((0..<30).map { atom(String($0)) }))
    #expect(flat == "(" + (0..<30).map(String.init).joined(separator: ",\n ") + ")")
  }

  @Test func nestedTensorTuples() {
    let zeros = atom(f32([0, 0, 0, 0], [2, 2]))
    #expect(pretty(.tuple([.tuple([zeros, atom(f32([1, 1]))]), atom(f32([1, 1, 1]))])) == """
      ((tensor([[0., 0.],
                [0., 0.]]),
        tensor([1., 1.])),
       tensor([1., 1., 1.]))
      """)
    #expect(pretty(.tuple([atom("1.5"), zeros])) == """
      (1.5,
       tensor([[0., 0.],
               [0., 0.]]))
      """)
    #expect(pretty(.tuple([zeros, atom("1.5")])) == """
      (tensor([[0., 0.],
               [0., 0.]]),
       1.5)
      """)
    #expect(pretty(.tuple([zeros])) == """
      (tensor([[0., 0.],
               [0., 0.]]),)
      """)
    #expect(pretty(.tuple([atom("1"), .tuple([zeros, atom("2")]), atom("3")])) == """
      (1,
       (tensor([[0., 0.],
                [0., 0.]]), 2),
       3)
      """)
  }

  @Test func blankTensorLinesGetTheIndent() {
    #expect(pretty(.tuple([atom(i64((0..<8).map(Int64.init), [2, 2, 2]))])) == """
      (tensor([[[0, 1],
                [2, 3]],
       
               [[4, 5],
                [6, 7]]]),)
      """)
  }

  @Test func tensorLinesAreNotRewrapped() {
    let text = pretty(.tuple([atom(f32(arange32Over7(20))), atom(f32([1, 1, 1]))]))
    #expect(text == """
      (tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,
               1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,
               2.5714, 2.7143]),
       tensor([1., 1., 1.]))
      """)
    #expect(text.split(separator: "\n").map(\.count) == [80, 80, 26, 22])
  }

  @Test func tolistOfRows() {
    let rows = f32([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3])
    let value = DisplayValue.list((0..<2).map { row in
      .list((0..<3).map { atom(PythonRepr.float(rows.element(row * 3 + $0))) })
    })
    #expect(pretty(value) == """
      [[0.10000000149011612, 0.20000000298023224, 0.30000001192092896],
       [0.4000000059604645, 0.5, 0.6000000238418579]]
      """)
  }

  @Test func eightyCharactersBreak() {
    let a = "'" + String(repeating: "a", count: 35) + "'"
    let b = "'" + String(repeating: "b", count: 37) + "'"
    #expect(pretty(.tuple([atom(a), atom(b)])) == "(\(a),\n \(b))")
    let fits = "'" + String(repeating: "b", count: 36) + "'"
    #expect(pretty(.tuple([atom(a), atom(fits)])) == "(\(a), \(fits))")
  }

  @Test func longSequencesStopAfterAThousandItems() {
    let text = pretty(.tuple((0..<1005).map { atom(String($0)) }))
    #expect(text == "(" + ((0..<1000).map(String.init) + ["..."]).joined(separator: ",\n ") + ")")
  }
}
