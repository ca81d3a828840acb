"""Claim: a short NumPy snippet's output is a fact you can run, so code-reading questions are proven by
running exactly the code they show. The "what does this print" snippets trap the usual readings:
a (4,) prediction minus a (4, 1) target broadcasts to (4, 4) (MSE 2.5 instead of 0); naive softmax of
(1000, 1001, 1002) is nan while subtracting the max gives (0.090, 0.245, 0.665); np.var divides by n
(4.0; ddof=1 gives 4.5714); (n + 2p - k) / s + 1 with true division gives 111.5 for n=224, k=5, p=1, s=2;
argmax over the batch axis scores 1/3 on a batch it classifies perfectly; sigma'(0) = 0.25 is
sigma's largest slope; inverted dropout with p = 0.2 keeps the mean at 1.0 and scales survivors by 1.25.

The "find the bug" snippets each carry one wrong line (FIXES gives it and its correction) and are run
twice, as written and with that line fixed, so the quiz can ask which line is wrong and what the fixed
version prints: dropout scaled by p instead of 1/(1-p) (train mean 0.16 instead of 1.0), softmax
without subtracting the row max (nan loss), BatchNorm in train mode on one test example (every output
0, i.e. beta), an autograd tape kept across batches (backprop through 100 steps instead of 20), a conv
size by true division (56.25 and a fractional flatten size), cross-entropy clipped to [0, 1] so
log(0) gives inf, an L2 penalty on the bias (for y = 2x + 10 it ends at 9.754 instead of 10.103, the slope at 2.297) and
weight decay with the wrong sign (weights 1.11 times the least-squares norm instead of 0.91).
More of them: LayerNorm over the batch axis (every feature of an example becomes -1), ReLU's backward
with x >= 0 (passes the gradient at 0, which PyTorch sets to 0), a gradient that accumulates because
it is never reset (w overshoots to 3.637 instead of 1.914), a scaler fitted before the split (a
test shift of 2.91 train sds reads as 1.52), log(softmax) that underflows to log(0) (inf instead of
798), Adam's first step without bias correction (3.16 lr instead of lr), std-1 weights saturating
tanh (78% of units past 0.99), BatchNorm's running variance with the biased batch variance (PyTorch
uses ddof=1), a causal mask that hides the diagonal (row 0 all nan), precision computed with fn,
and labels shuffled with their own permutation. k-NN with k = 1 scores 1.0 on its training set even
on random labels.
"""

from __future__ import annotations

import contextlib
import io
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError

META = {
    "title": "Code snippets: what does this print, where is the bug",
    "summary": "runs the NumPy snippet a question shows (and its one-line fix) and captures what it prints",
    "topics": ["fundamentals", "gradients", "regularization", "cnn", "rnn"],
    "params": {
        "snippet": {"type": "choice", "default": "dropout-scale-bug",
                    "choices": ["broadcast-shapes", "broadcast-mse", "softmax-large-logits", "softmax-stable",
                                "var-ddof", "conv-size-division", "argmax-axis", "sigmoid-derivative",
                                "dropout-mean", "dropout-scale-bug", "softmax-overflow-bug", "batchnorm-eval-bug",
                                "hidden-state-no-detach-bug", "conv-size-bug", "cross-entropy-log0-bug",
                                "l2-bias-bug", "weight-decay-sign-bug", "layernorm-axis-bug", "relu-backward-bug",
                                "zero-grad-bug", "scaler-leakage-bug", "log-softmax-bug", "adam-bias-correction-bug",
                                "tanh-init-bug", "knn-train-accuracy", "bn-running-var-bug", "causal-mask-bug",
                                "precision-bug", "shuffle-labels-bug"],
                    "help": "which snippet to run (names ending in -bug have one wrong line and a fix)"},
    },
    "outputs": {
        "snippet": "the snippet's name",
        "code": "the code exactly as shown and executed (lines numbered from 1)",
        "printed": "what the code prints, stripped of surrounding whitespace",
        "printed_lines": "printed, one entry per line (printed_lines.0 is the first line)",
        "bug_line": "the 1-based number of the wrong line (null for a what-does-this-print snippet)",
        "fixed_printed": "what the code prints with bug_line replaced by its fix (null without a bug)",
        "values": "the final numeric variables of the run as written (scalars, shapes and arrays of at most "
                  "16 numbers), by name: values.scale",
        "bug_text": "the wrong line as shown, without its indentation (null without a bug)",
        "fix": "the line that replaces it, without its indentation (null without a bug)",
    },
}

# Every snippet is what a candidate reads: it uses np (given) and print, nothing else. Keep the lines
# at most 70 characters so they fit an 80-column terminal beside the line numbers.
SNIPPETS = {
    "broadcast-shapes": """\
a = np.zeros((4, 1, 3))
b = np.zeros((5, 1))
print((a + b).shape)
x = np.zeros((32, 10))
bias = np.zeros(10)
print((x + bias).shape)
col = np.zeros((3, 1))
row = np.zeros(3)
print((col * row).shape)""",
    "broadcast-mse": """\
y_true = np.array([[0.0], [1.0], [2.0], [3.0]])
y_pred = np.array([0.0, 1.0, 2.0, 3.0])
err = y_pred - y_true
print(err.shape)
mse = np.mean(err ** 2)
print(mse)""",
    "softmax-large-logits": """\
def softmax(z):
    e = np.exp(z)
    return e / e.sum()

logits = np.array([1000.0, 1001.0, 1002.0])
p = softmax(logits)
print(p)
print(p.sum())""",
    "softmax-stable": """\
def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()

logits = np.array([1000.0, 1001.0, 1002.0])
p = softmax(logits)
print(np.round(p, 3))
print(p.argmax(), round(p.sum(), 6))""",
    "var-ddof": """\
x = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
var_default = np.var(x)
var_unbiased = np.var(x, ddof=1)
print(var_default, np.std(x))
print(round(var_unbiased, 4))""",
    "conv-size-division": """\
def conv_out(n, k, p=0, s=1):
    return (n + 2 * p - k) / s + 1

h = conv_out(224, k=5, p=1, s=2)
w = conv_out(224, k=3, p=1, s=1)
print(h, w)""",
    "argmax-axis": """\
logits = np.array([[2.0, 1.0, 0.1],
                   [0.5, 2.5, 0.3],
                   [3.0, 0.2, 0.4]])
labels = np.array([0, 1, 0])
pred = logits.argmax(axis=0)
acc = (pred == labels).mean()
print(pred, acc)""",
    "sigmoid-derivative": """\
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))

def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)

x = np.array([-2.0, 0.0, 2.0])
g = sigmoid_grad(x)
print(g.max())
print(np.round(g, 4))""",
    "dropout-mean": """\
rng = np.random.default_rng(0)
p = 0.2
scale = 1 / (1 - p)
h = np.ones((1000, 100))
mask = rng.random(h.shape) >= p
out = h * mask * scale
print(out.max(), round(out.mean(), 2))""",
    "dropout-scale-bug": """\
def dropout(h, p, rng, train=True):
    if not train:
        return h
    mask = rng.random(h.shape) >= p
    return h * mask * p

rng = np.random.default_rng(0)
h = np.ones((1000, 100))
p = 0.2
train_mean = dropout(h, p, rng).mean()
eval_mean = dropout(h, p, rng, train=False).mean()
print(round(train_mean, 2), eval_mean)""",
    "softmax-overflow-bug": """\
def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)

def cross_entropy(logits, y):
    p = softmax(logits)
    return -np.log(p[np.arange(len(y)), y]).mean()

logits = np.array([[10.0, 2.0, -1.0], [800.0, 805.0, 790.0]])
y = np.array([0, 1])
loss = cross_entropy(logits, y)
print(round(loss, 5))""",
    "batchnorm-eval-bug": """\
def batchnorm(x, gamma, beta, mean, var, training, eps=1e-5):
    if training:
        mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta

gamma, beta = np.array([1.0, 1.0]), np.array([0.0, 0.0])
run_mean = np.array([5.0, -2.0])
run_var = np.array([4.0, 1.0])
x_test = np.array([[9.0, -1.0]])
y = batchnorm(x_test, gamma, beta, run_mean, run_var, training=True)
print(np.round(y, 3))""",
    "hidden-state-no-detach-bug": """\
w, T = 0.9, 20
h, tape = 0.0, []
for batch in range(5):
    for x in np.ones(T):
        tape.append(h)
        h = w * h + x
    chain = tape
    dh, dw = 1.0, 0.0
    for h_prev in reversed(chain):
        dw += dh * h_prev
        dh *= w
print(len(chain), round(dw, 3))""",
    "conv-size-bug": """\
def conv_out(n, k, p=0, s=1):
    return (n + 2 * p - k) / s + 1

h = conv_out(224, k=5, p=1, s=2)
h = conv_out(h, k=3, p=1, s=2)
fc_in = 64 * h * h
print(h, fc_in)""",
    "cross-entropy-log0-bug": """\
def bce(p, y):
    p = np.clip(p, 0.0, 1.0)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

z = np.array([2.0, -1.0, 40.0, 0.5])
y = np.array([1.0, 0.0, 0.0, 1.0])
p = 1 / (1 + np.exp(-z))
loss = bce(p, y)
print(round(loss, 3))""",
    "l2-bias-bug": """\
x = np.linspace(0, 1, 50)
y = 2 * x + 10
w, b, lr, lam = 0.0, 0.0, 0.5, 0.01
for step in range(2000):
    err = w * x + b - y
    dw = np.mean(err * x) + lam * w
    db = np.mean(err) + lam * b
    w, b = w - lr * dw, b - lr * db
print(round(w, 3), round(b, 3))""",
    "weight-decay-sign-bug": """\
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 3))
y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(200)
w_ols = np.linalg.lstsq(X, y, rcond=None)[0]
w, lr, weight_decay = np.zeros(3), 0.1, 0.1
for step in range(500):
    grad = X.T @ (X @ w - y) / len(y)
    w = w - lr * (grad - weight_decay * w)
ratio = np.linalg.norm(w) / np.linalg.norm(w_ols)
print(round(ratio, 3))""",
    "layernorm-axis-bug": """\
def layernorm(x, eps=1e-5):
    mu, var = x.mean(0, keepdims=True), x.var(0, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)

x = np.array([[1.0, 2.0, 3.0, 4.0],
              [3.0, 6.0, 9.0, 12.0]])
y = layernorm(x)
print(np.round(y[0], 3))""",
    "relu-backward-bug": """\
def relu(x):
    return np.maximum(x, 0.0)

def relu_backward(x, grad_out):
    return grad_out * (x >= 0)

x = np.array([-2.0, -0.5, 0.0, 0.0, 1.5, 3.0])
dx = relu_backward(x, np.ones_like(x))
n_pass = int(dx.sum())
print(n_pass)""",
    "zero-grad-bug": """\
x = np.array([1.0, 2.0, 3.0])
y = 2 * x
w, lr, grad = 0.0, 0.05, 0.0
for step in range(5):
    grad += np.mean(2 * (w * x - y) * x)
    w -= lr * grad
w = round(w, 3)
print(w)""",
    "scaler-leakage-bug": """\
rng = np.random.default_rng(0)
X = rng.standard_normal((100, 1))
X[80:] += 3.0
mu, sd = X.mean(axis=0), X.std(axis=0)
train, test = X[:80], X[80:]
test_z = (test - mu) / sd
shift = round(float(test_z.mean()), 2)
print(shift)""",
    "log-softmax-bug": """\
def log_softmax(z):
    e = np.exp(z - z.max())
    return np.log(e / e.sum())

z = np.array([2.0, 800.0, 5.0])
y = 0
loss = -log_softmax(z)[y]
print(round(float(loss), 3))""",
    "adam-bias-correction-bug": """\
lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
w, m, v = 0.0, 0.0, 0.0
g = 4.0
m = b1 * m + (1 - b1) * g
v = b2 * v + (1 - b2) * g ** 2
w = w - lr * m / (np.sqrt(v) + eps)
w = round(w, 5)
print(w)""",
    "tanh-init-bug": """\
rng = np.random.default_rng(0)
n = 100
h = rng.standard_normal((200, n))
for layer in range(5):
    W = rng.standard_normal((n, n))
    h = np.tanh(h @ W)
saturated = round(float(np.mean(np.abs(h) > 0.99)), 2)
print(saturated)""",
    "knn-train-accuracy": """\
rng = np.random.default_rng(0)
X = rng.standard_normal((50, 2))
y = rng.integers(0, 2, 50)
d = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
nearest = d.argmin(axis=1)
acc = (y[nearest] == y).mean()
print(acc)""",
    "bn-running-var-bug": """\
x = np.array([[1.0], [3.0], [5.0], [7.0]])
momentum = 0.1
run_mean, run_var = np.zeros(1), np.ones(1)
batch_mean, batch_var = x.mean(axis=0), x.var(axis=0)
run_mean = (1 - momentum) * run_mean + momentum * batch_mean
run_var = (1 - momentum) * run_var + momentum * batch_var
print(np.round(run_var, 4))""",
    "causal-mask-bug": """\
T = 4
scores = np.zeros((T, T))
mask = np.triu(np.ones((T, T)), k=0) > 0
scores[mask] = -np.inf
e = np.exp(scores - scores.max(axis=1, keepdims=True))
attn = e / e.sum(axis=1, keepdims=True)
print(np.round(attn[0], 3))""",
    "precision-bug": """\
y_true = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
y_pred = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
tp = np.sum((y_pred == 1) & (y_true == 1))
fp = np.sum((y_pred == 1) & (y_true == 0))
fn = np.sum((y_pred == 0) & (y_true == 1))
precision = tp / (tp + fn)
print(round(precision, 2))""",
    "shuffle-labels-bug": """\
rng = np.random.default_rng(0)
X = np.arange(8.0)
y = 3 * X + 1
perm = rng.permutation(8)
X = X[perm]
y = y[rng.permutation(8)]
w, b = np.polyfit(X, y, 1)
print(round(w, 2))""",
}

# The wrong line of each find-the-bug snippet (1-based, as shown) and the line that fixes it.
FIXES = {
    "dropout-scale-bug": {"line": 5, "fixed": "    return h * mask / (1 - p)"},
    "softmax-overflow-bug": {"line": 2, "fixed": "    e = np.exp(z - z.max(axis=1, keepdims=True))"},
    "batchnorm-eval-bug": {"line": 10,
                           "fixed": "y = batchnorm(x_test, gamma, beta, run_mean, run_var, training=False)"},
    "hidden-state-no-detach-bug": {"line": 7, "fixed": "    chain = tape[-T:]"},
    "conv-size-bug": {"line": 2, "fixed": "    return (n + 2 * p - k) // s + 1"},
    "cross-entropy-log0-bug": {"line": 2, "fixed": "    p = np.clip(p, 1e-7, 1 - 1e-7)"},
    "l2-bias-bug": {"line": 7, "fixed": "    db = np.mean(err)"},
    "weight-decay-sign-bug": {"line": 8, "fixed": "    w = w - lr * (grad + weight_decay * w)"},
    "layernorm-axis-bug": {"line": 2, "fixed": "    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)"},
    "relu-backward-bug": {"line": 5, "fixed": "    return grad_out * (x > 0)"},
    "zero-grad-bug": {"line": 5, "fixed": "    grad = np.mean(2 * (w * x - y) * x)"},
    "scaler-leakage-bug": {"line": 4, "fixed": "mu, sd = X[:80].mean(axis=0), X[:80].std(axis=0)"},
    "log-softmax-bug": {"line": 3, "fixed": "    return z - z.max() - np.log(e.sum())"},
    "adam-bias-correction-bug": {"line": 6, "fixed": "w = w - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)"},
    "tanh-init-bug": {"line": 5, "fixed": "    W = rng.standard_normal((n, n)) / np.sqrt(n)"},
    "bn-running-var-bug": {"line": 4, "fixed": "batch_mean, batch_var = x.mean(axis=0), x.var(axis=0, ddof=1)"},
    "causal-mask-bug": {"line": 3, "fixed": "mask = np.triu(np.ones((T, T)), k=1) > 0"},
    "precision-bug": {"line": 6, "fixed": "precision = tp / (tp + fp)"},
    "shuffle-labels-bug": {"line": 6, "fixed": "y = y[perm]"},
}

MAX_VALUE_ITEMS = 16  # arrays and lists up to this many numbers go into values; longer ones are data, not answers
# NumPy's default print options, set for every run: what a snippet prints must not depend on a caller's
# np.set_printoptions.
PRINT_OPTIONS = {"precision": 8, "threshold": 1000, "edgeitems": 3, "linewidth": 75, "suppress": False,
                 "nanstr": "nan", "infstr": "inf", "sign": "-", "floatmode": "maxprec", "legacy": False}


@dataclass(frozen=True)
class CodeSnippet:
    snippet: str
    code: str
    printed: str
    printed_lines: tuple[str, ...]
    bug_line: int | None
    fixed_printed: str | None
    values: dict
    bug_text: str | None = None
    fix: str | None = None


def run_snippet(code: str) -> tuple[str, dict]:
    """Execute ``code`` in a fresh namespace ``{"np": numpy}``; return what it printed and the namespace.

    Floating-point warnings (overflow in exp, 0 * inf) are silenced: the snippet's output shows their
    result (inf, nan), which is the point of several questions.
    """
    namespace = {"np": np}
    out = io.StringIO()
    with np.errstate(all="ignore"), np.printoptions(**PRINT_OPTIONS), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<snippet>", "exec"), namespace)  # noqa: S102 - our own literal snippets
    return out.getvalue(), namespace


def with_fix(code: str, line: int, fixed: str) -> str:
    """``code`` with its 1-based ``line`` replaced by ``fixed``."""
    lines = code.split("\n")
    if not 1 <= line <= len(lines):
        from mlquiz.i18n import _

        raise DemoInputError(_("fix line {line} is outside the snippet's {count} lines").format(
            line=line, count=len(lines)))
    lines[line - 1] = fixed
    return "\n".join(lines)


def numeric_values(namespace: dict) -> dict:
    """The namespace's numeric scalars, shapes and short arrays as plain Python numbers, by name."""
    values = {}
    for name, value in namespace.items():
        if name.startswith("_") or name == "np":
            continue
        plain = _plain(value)
        if plain is not None:
            values[name] = plain
    return values


def _plain(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.size <= MAX_VALUE_ITEMS:
        return value.tolist()
    if isinstance(value, (list, tuple)) and len(value) <= MAX_VALUE_ITEMS:
        items = [_plain(item) for item in value]
        if all(item is not None and not isinstance(item, list) for item in items):
            return items
    return None


def compute(snippet: str = "dropout-scale-bug") -> CodeSnippet:
    """Run ``SNIPPETS[snippet]`` as written and, for a find-the-bug snippet, with its wrong line fixed."""
    if snippet not in SNIPPETS:
        from mlquiz.i18n import _

        raise DemoInputError(_("--snippet {snippet} is unknown; use one of {choices}").format(
            snippet=repr(snippet), choices=", ".join(SNIPPETS)))
    code = SNIPPETS[snippet]
    printed, namespace = run_snippet(code)
    fix = FIXES.get(snippet)
    fixed_printed = run_snippet(with_fix(code, fix["line"], fix["fixed"]))[0].strip() if fix else None
    printed = printed.strip()
    return CodeSnippet(
        snippet=snippet,
        code=code,
        printed=printed,
        printed_lines=tuple(printed.split("\n")),
        bug_line=fix["line"] if fix else None,
        fixed_printed=fixed_printed,
        values=numeric_values(namespace),
        bug_text=code.split("\n")[fix["line"] - 1].strip() if fix else None,
        fix=fix["fixed"].strip() if fix else None,
    )


def render(result: CodeSnippet):
    from rich.console import Group
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.table import Table
    from rich.text import Text

    from mlquiz.i18n import _

    highlight = {result.bug_line} if result.bug_line else None
    code = Syntax(result.code, "python", line_numbers=True, highlight_lines=highlight, word_wrap=True)
    parts = [Panel(code, title=result.snippet, title_align="left")]
    if result.bug_line is None:
        parts.append(Panel(Text(result.printed), title=_("prints"), title_align="left"))
        return Group(*parts)
    fixed_line = FIXES[result.snippet]["fixed"]
    parts.append(Text.assemble((_("wrong line "), "bold"), (str(result.bug_line), "bold red"), (_(", fixed: "), "bold"),
                               (fixed_line.strip(), "green")))
    outputs = Table.grid(expand=True, padding=(0, 1))
    outputs.add_column(ratio=1)
    outputs.add_column(ratio=1)
    outputs.add_row(Panel(Text(result.printed), title=_("prints as written"), title_align="left"),
                    Panel(Text(result.fixed_printed), title=_("with line {line} fixed").format(line=result.bug_line), title_align="left"))
    parts.append(outputs)
    return Group(*parts)
