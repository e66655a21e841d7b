# Notebook Python beyond the seed's dialect: control flow, comprehensions, f-strings and the other
# string formatting, dicts and sets, functions with *args/**kwargs and closures, exceptions, `with`,
# and the builtins and standard-library modules notebook cells use. notebook_python.out is what
# PyTorch 2.15.0 and IPython printed for it (tools/torch_transcript.py).
import math
import functools
import itertools
import warnings
import torch
from torch.autograd.functional import jacobian, jvp, hessian
warnings.filterwarnings("ignore")
warnings.simplefilter("ignore")
torch.manual_seed(0)

# Statements
total = 0
for i in range(10):
    if i % 3 == 0:
        continue
    elif i == 8:
        break
    else:
        total += i
total
n = 0
while True:
    n += 2
    if n > 7:
        break
n
for x in []:
    pass
else:
    print("empty loop ran its else")
for k in range(3):
    if k == 1:
        break
else:
    print("not printed")
count = 10
count -= 3
count *= 2
count //= 3
count %= 3
count **= 4
count
ratio = 7
ratio /= 2
ratio
pairs = [(1, 'a'), (2, 'b')]
for number, letter in pairs:
    print(number, letter)
for i, (number, letter) in enumerate(pairs, start=1):
    print(i, number, letter)
for a, b in zip([1, 2, 3], "xyz"):
    print(a, b, sep="-", end=";\n")
first, *rest = [1, 2, 3, 4]
first, rest
*init, last = (1, 2, 3)
init, last
head, *middle, tail = "abcde"
middle
values = [3, 1, 2]
values[0] += 10
values
del values[1]
values
config = {"lr": 0.1}
config["lr"] *= 10
config
del config["lr"]
config
pass

# Functions
def scale(x, factor=2, *args, offset=0, **options):
    return x * factor + offset + sum(args) + len(options)
scale(1)
scale(1, 3, 4, 5, offset=1, verbose=True)
def describe(*args, **kwargs):
    return args, kwargs
describe(*[1, 2], **{"a": 3})
def counter():
    count = 0
    def step():
        nonlocal count
        count += 1
        return count
    return step
tick = counter()
tick(), tick(), tick()
calls = 0
def record():
    global calls
    calls += 1
record(); record()
calls
def early(x):
    for i in range(10):
        if i * i > x:
            return i
    return -1
early(10), early(1000)
square = lambda v: v * v
list(map(square, range(4)))
def fib(k):
    return k if k < 2 else fib(k - 1) + fib(k - 2)
[fib(k) for k in range(10)]
scale
square
fib.__name__
describe

# Comprehensions and generators
[x * x for x in range(6) if x % 2 == 0]
[(i, j) for i in range(3) for j in range(i)]
{x % 3 for x in range(10)}
{name: len(name) for name in ["jvp", "vjp", "hessian"]}
sum(x * x for x in range(100))
max(len(w) for w in ["a", "bbb", "cc"])
list(x for x in "abc")
[[i * j for j in range(3)] for i in range(3)]
any(x > 3 for x in [1, 5]), all(x > 3 for x in [1, 5])

# Strings and formatting
name = "jacobian"
err = 3.14159e-7
f"{name} has {len(name)} letters"
f"{err:.2e} {err:.3g} {math.pi:.4f} {math.pi:10.3f}|{42:>5}|{42:<5}|{42:^5}|{42:05d}"
f"{name!r} {name!s} {name:>12} {name:*^14}"
f"{1234567.891:,.2f} {0.25:.1%} {255:#x} {255:08b} {-3:+d}"
f"{'nested'} {f'{1 + 1}'} {[1, 2][0]} {config}"
width, precision = 10, 3
f"{math.e:{width}.{precision}f}"
f"{total=} {n = }"
"%s has %d items, %.3f avg, %5.1f%%" % ("list", 3, 2.0 / 3, 12.345)
"%(name)s=%(value)r" % {"name": "lr", "value": 0.1}
"{} + {} = {}".format(1, 2, 3)
"{0}{1}{0}".format("ab", "cd")
"{name:>8}|{value:.2f}".format(name="loss", value=0.12345)
"-".join(["a", "b", "c"])
"  padded  ".strip(), "x,y,,z".split(","), "a b  c".split()
"jvp".upper(), "JVP".lower(), "jvp".ljust(6) + "|", "jvp".rjust(6), "f(x)".replace("x", "y")
"hessian".startswith("hess"), "hessian".endswith(("an", "ian")), "abc" in "xabcx"
str(1.5), repr("q'uote"), str([1, "a"]), repr(None)
print("a", 1, 2.5, None, True, [1, 'x'], (1,), {'k': 'v'})

# Dicts and sets
d = {"b": 2, "a": 1}
d["c"] = 3
d
d.get("a"), d.get("z"), d.get("z", 0)
list(d.keys()), list(d.values()), list(d.items())
d.keys()
d.values()
d.items()
d.setdefault("e", 5), d.pop("b"), d
d.update({"f": 6}, g=7)
d
"a" in d, "b" in d, len(d)
dict(zip("xy", [1, 2])), dict(a=1)
{1: "one", (2, 3): "tuple key", "s": None}
nested = {"layers": [{"w": 1}, {"w": 2}], "name": "mlp"}
nested
wide = {f"key_{i}": list(range(i)) for i in range(8)}
wide
s = {3, 1, 2}
s.add(10)
s
s | {0}, s & {1, 2}, s - {1}
set(), {}
sorted({"b", "a", "c"})

# Exceptions
try:
    1 / 0
except ZeroDivisionError as e:
    print("caught:", e)
try:
    [1, 2][5]
except IndexError as e:
    print("index:", e)
try:
    {"a": 1}["b"]
except KeyError as e:
    print("key:", e)
try:
    int("abc")
except ValueError as e:
    print("value:", e)
try:
    raise RuntimeError("custom failure")
except (TypeError, RuntimeError) as e:
    print(type(e).__name__, e)
try:
    torch.ones(2) + torch.ones(3)
except RuntimeError:
    print("shape mismatch is a RuntimeError")
try:
    torch.ones(2, 2) @ torch.ones(3)
except RuntimeError as e:
    print("matmul failed")
def checked(v):
    try:
        if v < 0:
            raise ValueError("negative")
        return "ok"
    except ValueError as err:
        return f"error: {err}"
    finally:
        print("checked", v)
checked(1), checked(-1)
try:
    pass
except Exception:
    print("not printed")
else:
    print("no exception")
try:
    try:
        raise KeyError("inner")
    except KeyError:
        raise
except LookupError as e:
    print("re-raised", repr(e))
assert 1 + 1 == 2
assert total > 0, "total must be positive"

# with and grad modes
with torch.no_grad():
    y = torch.ones(2) * 3
y
with torch.enable_grad():
    z = y + 1
z

# Builtins
len([1, 2]), len("abc"), len({"a": 1}), len(range(5)), len(torch.ones(4, 2))
abs(-3), abs(-2.5), round(2.675, 2), round(3.5), round(-0.5), min(3, 1, 2), max([4, 9, 2])
min([3, 1, 2], key=lambda v: -v), max("apple", "fig", key=len)
sorted([3, 1, 2]), sorted([3, 1, 2], reverse=True), sorted(["bb", "a", "ccc"], key=len)
list(reversed([1, 2, 3])), list(range(10, 0, -3)), list(enumerate("ab"))
list(filter(None, [0, 1, 2, 0, 3])), list(filter(lambda v: v > 1, [1, 2, 3]))
list(map(lambda a, b: a + b, [1, 2], [10, 20]))
tuple([1, 2]), list((1, 2)), set([1, 1, 2]), bool([]), bool([0]), int(3.9), int("42"), float("1.5"), str(3)
isinstance(3, int), isinstance(True, int), isinstance(2.0, (int, float)), isinstance("s", str)
isinstance(torch.ones(1), torch.Tensor), isinstance([], list), isinstance({}, dict)
type(3), type(2.5), type("s"), type([]), type({}), type(None)
type(torch.ones(1))
print(type(torch.ones(1)), type(3))
hasattr(torch.ones(1), "shape"), hasattr(3, "shape"), getattr(d, "get")("a"), getattr(3, "x", "default")
divmod(17, 5), pow(2, 10), sum([0.1] * 10), sum([[1], [2]], [])
range(5), range(1, 10, 2), list(range(0)), 3 in range(5), 7 in range(0, 10, 2)
len
print(len)
torch.dot
callable(len), callable(3)
next(iter([5, 6])), list(itertools.product([0, 1], repeat=2)), list(itertools.product("ab", [1, 2]))

# math and functools
math.sqrt(2), math.exp(1), math.log(100, 10), math.log(math.e), math.floor(2.7), math.ceil(2.1)
math.pi, math.e, math.inf, math.isclose(0.1 + 0.2, 0.3), math.isnan(float("nan")), math.factorial(10)
math.sin(math.pi / 2), math.cos(0), math.tanh(0.5), math.prod([1, 2, 3, 4]), math.fsum([0.1] * 10)
double = functools.partial(scale, factor=2)
double(5), double(5, offset=1)
add3 = functools.partial(lambda a, b, c: a + b + c, 1, 2)
add3(3)
functools.reduce(lambda a, b: a * b, [1, 2, 3, 4])

# Comparisons and identity
1 < 2 < 3, 1 < 3 < 2, 2 == 2.0, "a" < "b", (1, 2) < (1, 3), [1, 2] == [1, 2]
x = None
x is None, x is not None, 1 if x is None else 2
a = [1]
b = a
b.append(2)
a, a is b, a == [1, 2], a is [1, 2]
not 0, 0 or "default", 3 and 4, [] or {}

# Tensors in Python code
t = torch.arange(6.).reshape(2, 3)
for row in t:
    print(row.sum().item())
[row.tolist() for row in t]
len(t), t.shape[0], t.item() if t.numel() == 1 else t.numel()
t[0] += 10
t
t[1, 2] = -1.0
t
t[:, 0] *= 2
t
v = torch.zeros(4)
v[1:3] = torch.tensor([5.0, 6.0])
v
float(t[0, 0]), int(t[0, 1]), bool(t[0, 0])
try:
    bool(t)
except RuntimeError as e:
    print(e)
f"{t[0, 0].item():.3f} {t.sum():.2f}"

# Autodiff calls in loops and functions: each is one run
def f(x):
    return (x ** 3).sum()
results = {}
for size in [2, 3]:
    x = torch.arange(1.0, size + 1)
    results[size] = jacobian(f, x)
results
def second_derivative(x):
    return hessian(f, x)
[second_derivative(torch.tensor([float(i)])) for i in range(1, 3)]
jacs = {name: jacobian(fn, torch.ones(2)) for name, fn in [("sin", torch.sin), ("exp", torch.exp)]}
jacs
out, tangent = jvp(f, torch.ones(3), torch.ones(3))
print(f"jvp: out={out.item():.1f} tangent={tangent.item():.1f}")

# Tensor comparisons, selections and norms
m = torch.tensor([[1., 5.], [3., 2.]])
m > 2
m == m
(m > 2).all(), (m > 2).any(), (m > 2)[0, 1].item()
a = torch.tensor([1., 2.])
9 * a ** 2 == torch.tensor([9., 36.])
torch.tensor([True, False]), torch.tensor([[True], [False]]), torch.zeros(2, 3) < 1
m.max(), m.min(), m.argmax(), m.norm(), m.norm(p=1), m.norm(dim=1)
m.max(dim=0)
print(m.min(dim=1))
best = m.max(dim=1)
best.values, best.indices, best[0], type(best)
values, indices = m.min(dim=0, keepdim=True)
values, indices
torch.max(m), torch.allclose(m, m.clone())
if (m >= 1).all():
    print("all at least one")

# More statements
for key in {"x": 1, "y": 2}:
    print(key)
for ch in "ab":
    print(ch * 2)
for position, (name, value) in enumerate(sorted({"b": 2, "a": 1}.items())):
    print(position, name, value)
temporary = 5
del temporary
try:
    temporary
except NameError as e:
    print(e)
M = torch.eye(2)
M @= torch.tensor([[2., 0.], [0., 3.]])
M
words = []
for w in "the quick brown fox".split():
    if len(w) > 3:
        words.append(w.upper())
words
grid = {(i, j): i * j for i, j in itertools.product(range(2), range(2))}
grid
for i in range(2):
    i * 10
if True:
    "an expression inside a block shows nothing"
try:
    jacobian(f, torch.ones(2))
finally:
    "nor here"
import time
start = time.perf_counter()
elapsed = time.perf_counter() - start
elapsed >= 0, isinstance(time.time(), float), isinstance(time.perf_counter_ns(), int)
time.sleep(0)
repr("zero\u200bwidth"), ascii("café"), repr("tab\there"), f"{'é'!a}"
