"""Derived numbers typed beside the inputs in worked-examples.yaml agree with those inputs.

A demo parameter takes a vary value only whole, so a number that follows from the shown inputs
(a joined vector, a sum, a layer spec, an intermediate size) is typed in the vary row. Nothing
else recomputes it: this test does, by brute force, so an edited input cannot leave it behind.
"""

from pathlib import Path

import pytest
import yaml

BANK = Path(__file__).parents[1] / "questions" / "worked-examples.yaml"


def floats(text):
    return [float(part) for part in str(text).replace(";", ",").split(",")]


def conv_size(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


@pytest.fixture(scope="module")
def rows():
    bank = yaml.safe_load(BANK.read_text(encoding="utf-8"))
    return {q["id"]: q.get("vary") for q in bank["questions"]}


def test_bn_forgot_eval_batch_statistics(rows):
    for row in rows["we-bn-forgot-eval"]:
        xs = floats(row["batch"])
        mean = sum(xs) / len(xs)
        assert float(row["bm"]) == mean, row
        assert float(row["bvu"]) == sum((x - mean) ** 2 for x in xs) / (len(xs) - 1), row


def test_gru_reset_hidden_side_is_the_sum(rows):
    for row in rows["we-gru-reset-bias"]:
        assert float(row["hn"]) == float(row["whh"]) + float(row["bhn"]), row


def test_global_clip_vector_joins_the_tensors(rows):
    for row in rows["we-clip-global-norm"]:
        assert floats(row["all"]) == floats(row["w"]) + floats(row["b"]), row


def test_conv_pool_spec_matches_the_layer(rows):
    for row in rows["we-conv-pool-stack"]:
        conv = f"conv{row['c']}k{row['k']}s{row['s']}p{row['p']}"
        assert row["spec"] == f"{conv},pool2", row
        assert row["specceil"] == f"{conv},pool2ceil", row


def test_dilation_slip_extent(rows):
    for row in rows["we-conv-dilation"]:
        assert row["span"] == row["d"] * row["k"], row


def test_transposed_input_is_the_encoder_output(rows):
    for row in rows["we-conv-transposed-size"]:
        assert row["m"] == conv_size(row["n"], 3, s=2, p=1), row


def test_relu_index_points_at_the_zero(rows):
    for row in rows["we-relu-backward"]:
        assert floats(row["x"])[row["zi"]] == 0.0, row
