"""rnn-params: every listed shape drives a NumPy forward pass of the whole (stacked, bidirectional)
network in PyTorch's and in Keras's conventions, each tensor is used, and the sizes of the arrays
allocated sum to the totals; known values from the closed forms G*(H*(I+H) + 2H)."""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import rnn_params
from mlquiz.errors import DemoInputError

N_STEPS, N_BATCH = 3, 5  # tiny; a batch of 5 cannot be confused with the 2 rows of a GRU bias


class _Recorder(dict):
    """A dict of weights that records which entries a forward pass read."""

    def __init__(self, *args):
        super().__init__(*args)
        self.used = set()

    def __getitem__(self, key):
        self.used.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        if key in self:
            return self[key]
        return default


def _allocate(shapes, rng):
    return _Recorder({name: rng.standard_normal(shape) for name, shape in shapes.items()})


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _torch_forward(cell, w, x, layers, num_directions, hidden, proj):
    """torch.nn.RNN/LSTM/GRU equations (x @ W.T, gates stacked on the first axis of W)."""
    out_size = proj or hidden
    inp, h_n = x, []
    for k in range(layers):
        outputs = []
        for direction in range(num_directions):
            tag = f"_l{k}" + ("_reverse" if direction else "")
            W_ih, W_hh = w["weight_ih" + tag], w["weight_hh" + tag]
            b_ih, b_hh = w.get("bias_ih" + tag, 0.0), w.get("bias_hh" + tag, 0.0)
            h, c = np.zeros((N_BATCH, out_size)), np.zeros((N_BATCH, hidden))
            out = [None] * N_STEPS
            for t in (reversed(range(N_STEPS)) if direction else range(N_STEPS)):
                gi, gh = inp[t] @ W_ih.T + b_ih, h @ W_hh.T + b_hh
                if cell == "rnn":
                    h = np.tanh(gi + gh)
                elif cell == "lstm":
                    i, f, g, o = np.split(gi + gh, 4, axis=1)
                    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                    h = _sigmoid(o) * np.tanh(c)
                    if proj:
                        h = h @ w["weight_hr" + tag].T
                else:
                    (i_r, i_z, i_n), (h_r, h_z, h_n_) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
                    r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
                    h = (1 - z) * np.tanh(i_n + r * h_n_) + z * h
                assert h.shape == (N_BATCH, out_size)
                out[t] = h
            outputs.append(np.stack(out))
            h_n.append(h)
        inp = np.concatenate(outputs, axis=-1)
    return inp, np.stack(h_n)


def _keras_forward(cell, w, x, layers, num_directions, hidden, reset_after):
    """Keras SimpleRNN/LSTM/GRU equations (x @ kernel), stacked, Bidirectional concatenating."""
    inp = x
    for k in range(layers):
        outputs = []
        for direction in range(num_directions):
            tag = f"_l{k}" + ("_reverse" if direction else "")
            kernel, rec = w["kernel" + tag], w["recurrent_kernel" + tag]
            bias = w.get("bias" + tag)
            if bias is None:
                in_bias, rec_bias = 0.0, 0.0
            elif cell == "gru" and reset_after:
                in_bias, rec_bias = bias  # unpacking fails unless the bias has two rows
            else:
                in_bias, rec_bias = bias, 0.0
            h, c = np.zeros((N_BATCH, hidden)), np.zeros((N_BATCH, hidden))
            out = [None] * N_STEPS
            for t in (reversed(range(N_STEPS)) if direction else range(N_STEPS)):
                xk = inp[t] @ kernel + in_bias
                if cell == "rnn":
                    h = np.tanh(xk + h @ rec)
                elif cell == "lstm":
                    i, f, g, o = np.split(xk + h @ rec, 4, axis=1)
                    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                    h = _sigmoid(o) * np.tanh(c)
                else:
                    x_z, x_r, x_h = np.split(xk, 3, axis=1)
                    if reset_after:
                        r_z, r_r, r_h = np.split(h @ rec + rec_bias, 3, axis=1)
                        z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
                        candidate = np.tanh(x_h + r * r_h)
                    else:
                        r_z, r_r = np.split(h @ rec[:, : 2 * hidden], 2, axis=1)
                        z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
                        candidate = np.tanh(x_h + (r * h) @ rec[:, 2 * hidden:])
                    h = z * h + (1 - z) * candidate
                assert h.shape == (N_BATCH, hidden)
                out[t] = h
            outputs.append(np.stack(out))
        inp = np.concatenate(outputs, axis=-1)
    return inp


@st.composite
def configs(draw):
    cell = draw(st.sampled_from(["rnn", "lstm", "gru"]))
    hidden = draw(st.integers(1, 6))
    return dict(
        cell=cell,
        input_size=draw(st.integers(1, 6)),
        hidden_size=hidden,
        layers=draw(st.integers(1, 3)),
        bidirectional=draw(st.booleans()),
        no_bias=draw(st.booleans()),
        proj_size=draw(st.integers(0, hidden - 1)) if cell == "lstm" else 0,
    )


@settings(max_examples=60, deadline=None)
@given(config=configs(), seed=st.integers(0, 2**32 - 1))
def test_pytorch_shapes_run_a_forward_pass_and_sum_to_the_total(config, seed):
    result = rnn_params.compute(**config)
    weights = _allocate(result.shapes_pytorch, np.random.default_rng(seed))
    x = np.ones((N_STEPS, N_BATCH, config["input_size"]))
    directions = 2 if config["bidirectional"] else 1
    out_size = config["proj_size"] or config["hidden_size"]
    output, h_n = _torch_forward(config["cell"], weights, x, config["layers"], directions,
                                 config["hidden_size"], config["proj_size"])
    assert output.shape == (N_STEPS, N_BATCH, directions * out_size)  # torch's output shape
    assert h_n.shape == (config["layers"] * directions, N_BATCH, out_size)  # torch's h_n shape
    assert weights.used == set(weights), "a listed tensor is never used"
    assert sum(a.size for a in weights.values()) == result.total_pytorch
    assert sum(result.layer_totals_pytorch) == result.total_pytorch
    assert sum(a.size for name, a in weights.items() if name.startswith("bias")) == result.bias_params_pytorch


@settings(max_examples=60, deadline=None)
@given(config=configs(), seed=st.integers(0, 2**32 - 1))
def test_keras_shapes_run_a_forward_pass_and_sum_to_the_total(config, seed):
    config["proj_size"] = 0  # Keras has no projection
    result = rnn_params.compute(**config)
    rng = np.random.default_rng(seed)
    directions = 2 if config["bidirectional"] else 1
    x = np.ones((N_STEPS, N_BATCH, config["input_size"]))
    variants = [(True, result.shapes_keras, result.total_keras)]
    if config["cell"] == "gru":
        shapes = rnn_params.keras_shapes("gru", config["input_size"], config["hidden_size"], config["layers"],
                                         config["bidirectional"], not config["no_bias"], reset_after=False)
        variants.append((False, shapes, result.total_keras_reset_after_false))
    for reset_after, shapes, total in variants:
        weights = _allocate(shapes, rng)
        output = _keras_forward(config["cell"], weights, x, config["layers"], directions,
                                config["hidden_size"], reset_after)
        assert output.shape == (N_STEPS, N_BATCH, directions * config["hidden_size"])
        assert weights.used == set(weights)
        assert sum(a.size for a in weights.values()) == total


@settings(max_examples=200, deadline=None)
@given(config=configs())
def test_totals_match_the_closed_forms(config):
    r = rnn_params.compute(**config)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[config["cell"]]
    I, H, L, P = config["input_size"], config["hidden_size"], config["layers"], config["proj_size"]
    D, B = (2 if config["bidirectional"] else 1), (0 if config["no_bias"] else 1)
    R = P or H
    # first layer reads I, the others read the concatenated outputs R * D
    layer = [G * H * (i + R) + 2 * B * G * H + P * H for i in [I] + [R * D] * (L - 1)]
    assert r.total_pytorch == D * sum(layer)
    # no bias: PyTorch and Keras agree; with bias PyTorch has one extra G*H vector per layer and direction
    keras = D * sum(G * H * (i + H) + B * G * H for i in [I] + [H * D] * (L - 1))
    if P:
        assert r.total_keras is None and r.shapes_keras is None
    elif config["cell"] == "gru":
        assert r.total_keras == keras + D * L * B * 3 * H  # reset_after=True: second bias (2, 3H)
        assert r.total_keras == r.total_pytorch
        assert r.total_keras_reset_after_false == keras
    else:
        assert r.total_keras == keras
        assert r.pytorch_minus_keras == D * L * B * G * H
    # same sizes without projection: GRU has 3 gate blocks to the LSTM's 4, RNN 1
    assert r.ratio_gru_to_lstm_pytorch == 0.75
    assert r.ratio_rnn_to_lstm_pytorch == 0.25


def test_known_values():
    """LSTM(128 -> 256): 4 * (256 * (128 + 256) + 2 * 256) = 395264; Keras 4 * (256 * 384 + 256)."""
    lstm = registry.run_json("rnn-params", {"cell": "lstm", "input_size": 128, "hidden_size": 256})
    assert lstm["total_pytorch"] == 4 * (256 * (128 + 256) + 2 * 256) == 395264
    assert lstm["total_keras"] == 4 * (256 * (128 + 256) + 256) == 394240
    assert lstm["shapes_pytorch"]["weight_ih_l0"] == [1024, 128]
    assert lstm["shapes_keras"]["kernel_l0"] == [128, 1024]  # Keras stores the transpose
    gru = registry.run_json("rnn-params", {"cell": "gru", "input_size": 128, "hidden_size": 256})
    assert gru["total_pytorch"] == 3 * (256 * 384 + 512) == 296448
    assert gru["total_keras"] == 296448  # reset_after=True keeps two biases, like PyTorch
    assert gru["total_keras_reset_after_false"] == 296448 - 768
    assert gru["shapes_keras"]["bias_l0"] == [2, 768]
    assert gru["total_pytorch"] / lstm["total_pytorch"] == 0.75  # ERRATA: "GRU参数更少" (ratio 0.75)
    rnn = registry.run_json("rnn-params", {"cell": "rnn", "input_size": 128, "hidden_size": 256})
    assert rnn["total_pytorch"] == 256 * 384 + 512 == 98816
    # PyTorch docs example nn.LSTM(10, 20, 2): layer 1 reads 20
    two = registry.run_json("rnn-params", {"cell": "lstm", "input_size": 10, "hidden_size": 20, "layers": 2})
    assert two["total_pytorch"] == 4 * (20 * 30 + 40) + 4 * (20 * 40 + 40) == 5920
    bi = registry.run_json("rnn-params", {"cell": "lstm", "input_size": 10, "hidden_size": 20, "layers": 2,
                                          "bidirectional": True})
    assert bi["layer_input_sizes"] == [10, 40]
    assert bi["total_pytorch"] == 2 * (4 * (20 * 30 + 40) + 4 * (20 * 60 + 40)) == 15040
    proj = registry.run_json("rnn-params", {"cell": "lstm", "input_size": 10, "hidden_size": 20,
                                            "proj_size": 5})
    assert proj["shapes_pytorch"]["weight_hh_l0"] == [80, 5]
    assert proj["shapes_pytorch"]["weight_hr_l0"] == [5, 20]
    assert proj["total_pytorch"] == 80 * 10 + 80 * 5 + 160 + 100 == 1460
    assert proj["total_keras"] is None


@pytest.mark.parametrize("params, message", [
    ({"cell": "gru", "proj_size": 4}, "only to --cell lstm"),
    ({"cell": "lstm", "hidden_size": 8, "proj_size": 8}, "smaller than --hidden-size"),
    ({"input_size": 0}, "out of range"),
    ({"layers": 101}, "out of range"),
])
def test_rejects_invalid_configurations(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json("rnn-params", params)

