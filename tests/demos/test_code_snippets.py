"""code-snippets: the code a question shows is the code that runs; every snippet prints something; every
fix changes one line and the output; the printed answers agree with values computed here independently."""

from __future__ import annotations

import ast
import builtins
import json
import math
import warnings

import numpy as np
import pytest
from rich.console import Console

from mlquiz.demokit import registry
from mlquiz.demos import code_snippets as demo
from mlquiz.errors import DemoInputError

NAME = "code-snippets"
NAMES = list(demo.SNIPPETS)


@pytest.fixture(scope="module")
def results():
    return {name: demo.compute(name) for name in NAMES}


# ----------------------------------------------------------------------------- the contract

def test_the_ast_read_snippets_are_the_modules_and_the_choices_name_them():
    spec = registry.get_demo(NAME)
    assert spec.snippets == demo.SNIPPETS  # read without importing, and nothing stripped away
    assert list(spec.param("snippet").choices) == NAMES
    assert len(NAMES) >= 12
    assert set(demo.FIXES) == {name for name in NAMES if name.endswith("-bug")}


def test_compute_executes_exactly_the_shown_code(monkeypatch):
    executed = []
    real = demo.run_snippet
    monkeypatch.setattr(demo, "run_snippet", lambda code: executed.append(code) or real(code))
    for name in NAMES:
        executed.clear()
        result = demo.compute(name)
        assert result.code == demo.SNIPPETS[name] == executed[0]
        if name in demo.FIXES:
            fix = demo.FIXES[name]
            assert executed[1] == demo.with_fix(result.code, fix["line"], fix["fixed"])
        assert len(executed) == (2 if name in demo.FIXES else 1)


@pytest.mark.parametrize("name", NAMES)
def test_snippet_is_short_self_contained_numpy(name):
    code = demo.SNIPPETS[name]
    lines = code.split("\n")
    assert 5 <= len(lines) <= 12, len(lines)
    assert max(len(line) for line in lines) <= 70
    assert "#" not in code  # no comment that gives the answer away
    tree = ast.parse(code)
    assert not any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree))
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assigned |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assigned |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for a in n.args.args}
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    outside = loaded - assigned - {"np"}
    assert "print" in outside
    assert outside <= {"print", "round", "len", "range", "reversed", "sum", "float", "int"}, outside
    assert all(hasattr(builtins, name) for name in outside)


@pytest.mark.parametrize("name", NAMES)
def test_every_snippet_runs_and_prints(name, results):
    result = results[name]
    assert result.printed and result.printed == result.printed.strip()
    assert list(result.printed_lines) == result.printed.split("\n")
    json.dumps(registry.to_jsonable(result.values))  # the values a bank keys are JSON


@pytest.mark.parametrize("name", list(demo.FIXES))
def test_every_fix_changes_one_line_and_the_output(name, results):
    fix = demo.FIXES[name]
    lines = demo.SNIPPETS[name].split("\n")
    assert 1 <= fix["line"] <= len(lines)
    wrong = lines[fix["line"] - 1]
    assert fix["fixed"] != wrong
    indent = lambda text: len(text) - len(text.lstrip())  # noqa: E731
    assert indent(fix["fixed"]) == indent(wrong)  # the fix slots into the same block
    result = results[name]
    assert result.bug_line == fix["line"]
    assert result.fixed_printed and result.fixed_printed != result.printed


def test_print_snippets_have_no_fix(results):
    for name in NAMES:
        if name not in demo.FIXES:
            assert results[name].bug_line is None and results[name].fixed_printed is None


def test_output_ignores_global_print_options_and_warns_nothing():
    before = np.get_printoptions()
    try:
        np.set_printoptions(precision=2, suppress=True, nanstr="NaN")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an overflow warning would raise here
            result = demo.compute("softmax-large-logits")
            stable = demo.compute("softmax-stable")
    finally:
        np.set_printoptions(**before)
    assert result.printed_lines == ("[nan nan nan]", "nan")
    assert stable.printed_lines[0] == "[0.09  0.245 0.665]"


def test_unknown_snippet_is_a_one_line_error():
    with pytest.raises(DemoInputError, match="is not valid"):
        registry.run_json(NAME, {"snippet": "softmax"})
    with pytest.raises(DemoInputError, match="outside"):
        demo.with_fix("a = 1\nprint(a)", 3, "b = 2")


def test_values_keep_scalars_shapes_and_short_arrays_only():
    namespace = {"np": np, "_hidden": 1, "n": np.int64(3), "x": 0.5, "flag": np.bool_(True),
                 "shape": (4, 5), "short": np.arange(3.0), "long": np.zeros(100), "rng": np.random.default_rng(0),
                 "f": print, "text": "hello"}
    assert demo.numeric_values(namespace) == {"n": 3, "x": 0.5, "flag": True, "shape": [4, 5], "short": [0.0, 1.0, 2.0]}


# ----------------------------------------------------------------------------- answers, computed independently

def test_broadcasting_shapes(results):
    assert results["broadcast-shapes"].printed_lines == tuple(
        str(np.broadcast_shapes(*shapes)) for shapes in (((4, 1, 3), (5, 1)), ((32, 10), (10,)), ((3, 1), (3,))))
    # (4,) - (4, 1) is a 4 x 4 table of y_pred[j] - y_true[i]: its mean square, by loops
    mse = sum((j - i) ** 2 for i in range(4) for j in range(4)) / 16
    result = results["broadcast-mse"]
    assert result.printed_lines == ("(4, 4)", str(mse)) and mse == 2.5
    assert result.values["mse"] == 2.5


def test_softmax_without_and_with_the_max(results):
    naive = results["softmax-large-logits"]
    assert all(math.isnan(p) for p in naive.values["p"])
    with pytest.raises(OverflowError):
        math.exp(1000.0)  # e^1000 is beyond float64, so NumPy gives inf and inf / inf is nan
    stable = results["softmax-stable"]
    exact = [math.exp(k) / sum(math.exp(j) for j in range(3)) for k in range(3)]
    assert stable.values["p"] == pytest.approx(exact, rel=1e-12)
    assert stable.printed_lines[1] == "2 1.0"


def test_variance_ddof(results):
    x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
    mean = sum(x) / len(x)
    squares = sum((v - mean) ** 2 for v in x)
    result = results["var-ddof"]
    assert result.values["var_default"] == squares / 8 == 4.0
    assert result.values["var_unbiased"] == pytest.approx(squares / 7)
    assert result.printed_lines == ("4.0 2.0", "4.5714")


def _naive_conv_size(n, k, p, s):
    """Positions a k-wide window takes with stride s over n + 2p padded inputs, counted one by one."""
    count, start = 0, 0
    while start + k <= n + 2 * p:
        count, start = count + 1, start + s
    return count


def test_conv_size_true_division_and_the_floor_fix(results):
    assert results["conv-size-division"].values == {"h": 111.5, "w": 224.0}
    assert results["conv-size-division"].printed == "111.5 224.0"
    first = _naive_conv_size(224, 5, 1, 2)
    second = _naive_conv_size(first, 3, 1, 2)
    assert (first, second) == (111, 56)
    bug = results["conv-size-bug"]
    assert bug.fixed_printed == f"{second} {64 * second * second}"
    assert bug.values["h"] == 56.25 and bug.printed == "56.25 202500.0"


def test_argmax_over_the_batch_axis(results):
    logits = [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [3.0, 0.2, 0.4]]
    labels = [0, 1, 0]
    per_row = [max(range(3), key=lambda j: row[j]) for row in logits]
    per_column = [max(range(3), key=lambda i: logits[i][j]) for j in range(3)]
    assert per_row == labels  # the model is right on every example
    result = results["argmax-axis"]
    assert result.values["pred"] == per_column
    assert result.values["acc"] == pytest.approx(sum(a == b for a, b in zip(per_column, labels)) / 3) == 1 / 3


def test_sigmoid_derivative_peaks_at_a_quarter(results):
    sigmoid = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    h = 1e-6
    at_zero = (sigmoid(h) - sigmoid(-h)) / (2 * h)
    result = results["sigmoid-derivative"]
    assert at_zero == pytest.approx(0.25, rel=1e-9)
    assert result.values["g"][1] == 0.25 and result.printed_lines[0] == "0.25"
    assert result.values["g"][2] == pytest.approx((sigmoid(2 + h) - sigmoid(2 - h)) / (2 * h), rel=1e-8)


def test_dropout_scaling(results):
    mean = results["dropout-mean"]
    assert mean.values["scale"] == 1 / (1 - 0.2) == 1.25
    assert mean.printed == "1.25 1.0"
    bug = results["dropout-scale-bug"]
    # scaled by p: E = (1 - p) p = 0.16; by 1/(1 - p): E = 1
    assert bug.values["train_mean"] == pytest.approx((1 - 0.2) * 0.2, abs=0.005)
    assert bug.printed == "0.16 1.0" and bug.fixed_printed == "1.0 1.0"


def test_batched_softmax_cross_entropy(results):
    bug = results["softmax-overflow-bug"]
    assert bug.printed == "nan" and math.isnan(bug.values["loss"])
    rows, targets = [[10.0, 2.0, -1.0], [800.0, 805.0, 790.0]], [0, 1]
    losses = []
    for row, t in zip(rows, targets):
        top = max(row)
        losses.append(top + math.log(sum(math.exp(v - top) for v in row)) - row[t])  # logsumexp - z_t
    assert float(bug.fixed_printed) == pytest.approx(round(sum(losses) / 2, 5))


def test_batchnorm_on_one_test_example(results):
    bug = results["batchnorm-eval-bug"]
    assert bug.values["y"] == [[0.0, 0.0]]  # x - mean(x) = 0 for a batch of one: every output is beta
    expected = [round((9 - 5) / math.sqrt(4 + 1e-5), 3), round((-1 + 2) / math.sqrt(1 + 1e-5), 3)]
    assert expected == [2.0, 1.0] and bug.fixed_printed == "[[2. 1.]]"


def _bptt_through(w, steps, batches):
    """States h_t = w h_(t-1) + 1 over all batches; backprop through the last ``steps`` of them."""
    states, h = [], 0.0
    for _ in range(batches * 20):
        states.append(h)
        h = w * h + 1
    dw = sum(w**k * h_prev for k, h_prev in enumerate(reversed(states[-steps:])))
    return steps, dw


def test_hidden_state_carried_without_detach(results):
    bug = results["hidden-state-no-detach-bug"]
    steps, dw = _bptt_through(0.9, 100, 5)
    assert bug.printed == f"{steps} {round(dw, 3)}"
    steps, dw = _bptt_through(0.9, 20, 5)
    assert bug.fixed_printed == f"{steps} {round(dw, 3)}"
    assert bug.values["dh"] == pytest.approx(0.9**100)


def test_binary_cross_entropy_log_zero(results):
    bug = results["cross-entropy-log0-bug"]
    assert bug.printed == "inf"  # sigmoid(40) rounds to 1.0, and log(1 - 1.0) = -inf
    assert bug.values["p"][2] == 1.0
    eps = 1e-7
    p = [min(max(1 / (1 + math.exp(-z)), eps), 1 - eps) for z in (2.0, -1.0, 40.0, 0.5)]
    y = (1.0, 0.0, 0.0, 1.0)
    loss = -sum(t * math.log(q) + (1 - t) * math.log(1 - q) for q, t in zip(p, y)) / 4
    assert float(bug.fixed_printed) == pytest.approx(round(loss, 3))


def _ridge_line(lam, penalise_bias):
    """The stationary point of 1/2 mean((w x + b - y)^2) + lam/2 (w^2 [+ b^2]) for y = 2x + 10, x = linspace(0, 1, 50)."""
    x = np.linspace(0, 1, 50)
    y = 2 * x + 10
    a = np.array([[np.mean(x * x) + lam, np.mean(x)], [np.mean(x), 1 + (lam if penalise_bias else 0)]])
    return np.linalg.solve(a, [np.mean(x * y), np.mean(y)])


def test_l2_penalty_on_the_bias(results):
    bug = results["l2-bias-bug"]
    w, b = _ridge_line(0.01, penalise_bias=True)
    assert bug.printed == f"{round(w, 3)} {round(b, 3)}"
    w, b = _ridge_line(0.01, penalise_bias=False)
    assert bug.fixed_printed == f"{round(w, 3)} {round(b, 3)}"
    assert b > 10 > bug.values["b"]  # the penalty pulls the bias below the data's offset


def test_weight_decay_sign(results):
    rng = np.random.default_rng(0)  # the snippet's data, drawn in the same order
    X = rng.standard_normal((200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(200)
    cov, xty = X.T @ X / 200, X.T @ y / 200
    ols = np.linalg.norm(np.linalg.solve(cov, xty))
    grown = np.linalg.norm(np.linalg.solve(cov - 0.1 * np.eye(3), xty)) / ols  # w - lr (g - wd w): decay reversed
    shrunk = np.linalg.norm(np.linalg.solve(cov + 0.1 * np.eye(3), xty)) / ols
    bug = results["weight-decay-sign-bug"]
    assert bug.values["ratio"] == pytest.approx(grown, rel=1e-6) and grown > 1
    assert float(bug.fixed_printed) == round(shrunk, 3) and shrunk < 1


# ----------------------------------------------------------------------------- rendering

def test_render_shows_the_code_and_both_outputs():
    console = Console(width=80, record=True, no_color=True)
    console.print(demo.render(demo.compute("conv-size-bug")))
    text = console.export_text()
    assert "return (n + 2 * p - k) / s + 1" in text
    assert "56.25 202500.0" in text and "56 200704" in text and "line 2" in text
    console = Console(width=80, record=True, no_color=True)
    console.print(demo.render(demo.compute("var-ddof")))
    assert "4.5714" in console.export_text() and "fixed" not in console.export_text()
