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


# ----------------------------------------------------------------------------- the added snippets

def test_bug_text_and_fix_name_the_replaced_line(results):
    for name in NAMES:
        result = results[name]
        if name in demo.FIXES:
            fix = demo.FIXES[name]
            assert result.bug_text == result.code.split("\n")[fix["line"] - 1].strip()
            assert result.fix == fix["fixed"].strip() and result.fix != result.bug_text
        else:
            assert result.bug_text is None and result.fix is None


def test_layernorm_over_the_batch_axis(results):
    bug = results["layernorm-axis-bug"]
    row = [1.0, 2.0, 3.0, 4.0]
    mean = sum(row) / 4
    sd = math.sqrt(sum((v - mean) ** 2 for v in row) / 4 + 1e-5)
    expected = np.round([(v - mean) / sd for v in row], 3)
    assert bug.fixed_printed == str(expected) == "[-1.342 -0.447  0.447  1.342]"
    # over the batch axis, each column of two examples (a, b) maps to (-1, 1): the example's shape is lost
    assert bug.printed == "[-1. -1. -1. -1.]"
    assert bug.values["y"][0] == pytest.approx([-1.0] * 4, abs=1e-5)


def test_relu_backward_at_zero(results):
    bug = results["relu-backward-bug"]
    x = [-2.0, -0.5, 0.0, 0.0, 1.5, 3.0]
    assert bug.printed == str(sum(v >= 0 for v in x)) == "4"
    assert bug.fixed_printed == str(sum(v > 0 for v in x)) == "2"  # PyTorch: relu'(0) = 0
    h = 1e-6
    slopes = [(max(v + h, 0) - max(v - h, 0)) / (2 * h) for v in x if v != 0]
    assert slopes == pytest.approx([0.0, 0.0, 1.0, 1.0])  # away from 0 both versions agree with finite differences


def _gradient_descent(accumulate, steps=5, lr=0.05):
    x, w, grad = [1.0, 2.0, 3.0], 0.0, 0.0
    for _ in range(steps):
        g = sum(2 * (w * v - 2 * v) * v for v in x) / 3
        grad = grad + g if accumulate else g
        w -= lr * grad
    return round(w, 3)


def test_gradient_never_reset(results):
    bug = results["zero-grad-bug"]
    assert bug.printed == str(_gradient_descent(True)) == "3.637"
    fixed = _gradient_descent(False)
    assert bug.fixed_printed == str(fixed) and fixed == round(2 - 2 * (1 - 0.05 * 28 / 3) ** 5, 3)


def test_scaler_fitted_before_the_split(results):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 1))
    X[80:] += 3.0
    train, test = X[:80, 0].tolist(), X[80:, 0].tolist()
    def z_mean(fit):
        mean = sum(fit) / len(fit)
        sd = math.sqrt(sum((v - mean) ** 2 for v in fit) / len(fit))
        return round(sum((v - mean) / sd for v in test) / len(test), 2)
    bug = results["scaler-leakage-bug"]
    assert bug.printed == str(z_mean(train + test)) == "1.52"
    assert bug.fixed_printed == str(z_mean(train)) == "2.91"


def test_log_of_softmax_underflows(results):
    bug = results["log-softmax-bug"]
    assert bug.printed == "inf" and math.isinf(bug.values["loss"])
    assert math.exp(2.0 - 800.0) == 0.0  # the probability of class 0 underflows, and log(0) = -inf
    z = [2.0, 800.0, 5.0]
    top = max(z)
    exact = top + math.log(sum(math.exp(v - top) for v in z)) - z[0]
    assert bug.fixed_printed == str(round(exact, 3)) == "798.0"


def test_adam_first_step_without_bias_correction(results):
    bug = results["adam-bias-correction-bug"]
    lr, b1, b2, g = 0.01, 0.9, 0.999, 4.0
    uncorrected = lr * (1 - b1) * g / math.sqrt((1 - b2) * g * g)  # lr (1 - b1) / sqrt(1 - b2)
    assert bug.values["w"] == round(-uncorrected, 5) == -0.03162
    assert bug.fixed_printed == str(-lr)  # corrected: m_hat = g, v_hat = g^2, a step of exactly lr


def test_unit_variance_weights_saturate_tanh(results):
    hs = {}
    for scale in (1.0, 0.1):
        r = np.random.default_rng(0)
        a = r.standard_normal((200, 100))
        for _ in range(5):
            a = np.tanh(a @ (r.standard_normal((100, 100)) * scale))
        hs[scale] = round(float(np.mean(np.abs(a) > 0.99)), 2)
    bug = results["tanh-init-bug"]
    assert bug.printed == str(hs[1.0]) and hs[1.0] > 0.5
    assert bug.fixed_printed == str(hs[0.1]) == "0.0"  # 1/sqrt(100) = 0.1: Xavier keeps tanh in its linear range


def test_one_nearest_neighbour_memorises_its_training_set(results):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2)).tolist()
    y = rng.integers(0, 2, 50).tolist()
    right = 0
    for i, p in enumerate(X):
        j = min(range(50), key=lambda k: (p[0] - X[k][0]) ** 2 + (p[1] - X[k][1]) ** 2)
        right += y[j] == y[i]
    assert right == 50 and results["knn-train-accuracy"].printed == "1.0"
    assert 0.3 < sum(y) / 50 < 0.7  # the labels are coin flips, so nothing was learned


def test_running_variance_is_unbiased_in_pytorch(results):
    x = [1.0, 3.0, 5.0, 7.0]
    mean = sum(x) / 4
    squares = sum((v - mean) ** 2 for v in x)
    bug = results["bn-running-var-bug"]
    assert bug.values["run_var"] == [pytest.approx(0.9 + 0.1 * squares / 4)] and bug.printed == "[1.4]"
    assert bug.fixed_printed == f"[{round(0.9 + 0.1 * squares / 3, 4)}]" == "[1.5667]"


def test_causal_mask_that_hides_the_diagonal(results):
    bug = results["causal-mask-bug"]
    assert bug.printed == "[nan nan nan nan]"  # row 0 may attend to nothing: softmax of all -inf
    T = 4
    allowed = [[j <= i for j in range(T)] for i in range(T)]
    rows = [[1 / sum(r) if a else 0.0 for a in r] for r in allowed]  # equal scores: uniform over the allowed keys
    assert bug.fixed_printed == str(np.round(np.array(rows[0]), 3)) == "[1. 0. 0. 0.]"


def test_precision_is_over_the_predicted_positives(results):
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]
    predicted = [t for t, p in zip(y_true, y_pred) if p == 1]
    actual = [p for t, p in zip(y_true, y_pred) if t == 1]
    bug = results["precision-bug"]
    assert bug.printed == str(round(sum(actual) / len(actual), 2)) == "0.75"  # that is recall
    assert bug.fixed_printed == str(round(sum(predicted) / len(predicted), 2)) == "0.6"


def test_labels_shuffled_with_their_own_permutation(results):
    bug = results["shuffle-labels-bug"]
    assert bug.fixed_printed == "3.0"  # shuffled together, the pairs still lie on y = 3x + 1
    rng = np.random.default_rng(0)
    x = np.arange(8.0)[rng.permutation(8)].tolist()
    y = (3 * np.arange(8.0) + 1)[rng.permutation(8)].tolist()
    mx, my = sum(x) / 8, sum(y) / 8
    slope = sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)
    assert bug.printed == str(round(slope, 2)) and abs(slope) < 3
