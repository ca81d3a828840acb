"""Pure NumPy tanh-RNN, LSTM and GRU cells: one step, a whole sequence, and backpropagation through time.

Not a demo (the leading ``_``): shared by the demos as ``from mlquiz.demos._rnn_cells import ...``.

Weight layout (the same as PyTorch's ``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell`` and the
``*_l0`` parameters of ``nn.RNN``/``nn.LSTM``/``nn.GRU``, so a framework given these arrays computes
the same numbers). With ``G`` gates, ``H = n_hidden`` and ``I = n_input``:

=========  ========  =====================================================
array      shape     holds
=========  ========  =====================================================
weight_ih  (G*H, I)  input-to-hidden weights of each gate, row blocks of H
weight_hh  (G*H, H)  hidden-to-hidden weights, blocks in the same order
bias_ih    (G*H,)    input-side bias
bias_hh    (G*H,)    hidden-side bias
=========  ========  =====================================================

PyTorch keeps two bias vectors. Only their sum matters, except in the GRU's n gate, where r
multiplies b_hn but not b_in.

Gate order: tanh RNN G=1 (one block); LSTM G=4, rows ``i, f, g, o`` (input, forget, cell
candidate, output); GRU G=3, rows ``r, z, n`` (reset, update, new).

Equations (``σ`` the logistic sigmoid, ``⊙`` elementwise; ``W_i*``/``W_h*`` the row blocks of
``weight_ih``/``weight_hh``, ``b_i*``/``b_h*`` those of the biases)::

    RNN   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
    LSTM  i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
          g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
          c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
    GRU   r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
          h' = (1 - z) ⊙ n + z ⊙ h

Note the GRU convention (PyTorch, Cho et al., d2l): z close to 1 *keeps* the old state.

Arrays carry a batch axis: ``x`` is ``(n_batch, I)``, states are ``(n_batch, H)`` and a sequence
``xs`` is ``(n_steps, n_batch, I)`` (PyTorch's default time-major layout). The forward passes
keep the dtype they are given: float64 normally, complex for complex-step differentiation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlquiz.demos._rnn_layout import N_GATES



def param_shapes(cell: str, n_input: int, n_hidden: int) -> dict[str, tuple[int, ...]]:
    """Shapes of ``weight_ih, weight_hh, bias_ih, bias_hh`` for a cell, as PyTorch stores them.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
    n_input, n_hidden : int

    Returns
    -------
    dict
        ``{"weight_ih": (G*H, I), "weight_hh": (G*H, H), "bias_ih": (G*H,), "bias_hh": (G*H,)}``;
        in all ``G*H*(I + H + 2)`` numbers.
    """
    rows = N_GATES[cell] * n_hidden
    return {"weight_ih": (rows, n_input), "weight_hh": (rows, n_hidden), "bias_ih": (rows,), "bias_hh": (rows,)}


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + exp(-a)), as PyTorch computes it.

    This form keeps full relative precision in the tail (sigmoid(-30) = 9.3576e-14 to 16 digits, which
    0.5 (1 + tanh(a/2)) would lose to cancellation); exp(-a) overflowing to inf correctly gives 0.
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-a))


# ----------------------------------------------------------------------------- one step
# Each private ``_*_cell`` takes the input-side pre-activation ``gi = x W_ih^T + b_ih`` so that a
# sequence can compute it for all steps in one matrix product; the public steps compute it per call.


def _rnn_cell(gi, h_prev, weight_hh, bias_hh):
    return np.tanh(gi + h_prev @ weight_hh.T + bias_hh)


def _lstm_cell(gi, h_prev, c_prev, weight_hh, bias_hh):
    """Returns h, c, the gate activations ``[i, f, g, o]`` side by side (n_batch, 4H), and tanh(c)."""
    n_hidden = h_prev.shape[-1]
    a = gi + h_prev @ weight_hh.T + bias_hh
    gates = sigmoid(a)  # one call for all four blocks, then the g block is redone with tanh
    gates[..., 2 * n_hidden:3 * n_hidden] = np.tanh(a[..., 2 * n_hidden:3 * n_hidden])
    i, f, g, o = (gates[..., k * n_hidden:(k + 1) * n_hidden] for k in range(4))
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    return o * tanh_c, c, gates, tanh_c


def _gru_cell(gi, h_prev, weight_hh, bias_hh):
    """Returns h, the gate activations ``[r, z]`` side by side (n_batch, 2H), n, and W_hn h + b_hn."""
    n_hidden = h_prev.shape[-1]
    gh = h_prev @ weight_hh.T + bias_hh
    rz = sigmoid(gi[..., :2 * n_hidden] + gh[..., :2 * n_hidden])
    r, z = rz[..., :n_hidden], rz[..., n_hidden:]
    gh_n = gh[..., 2 * n_hidden:]
    n = np.tanh(gi[..., 2 * n_hidden:] + r * gh_n)
    return (1.0 - z) * n + z * h_prev, rz, n, gh_n


def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One tanh-RNN step, as ``torch.nn.RNNCell`` (nonlinearity="tanh").

    Parameters
    ----------
    x : (n_batch, I)
    h_prev : (n_batch, H)
    weight_ih : (H, I)
    weight_hh : (H, H)
    bias_ih, bias_hh : (H,)

    Returns
    -------
    h : (n_batch, H)

    Notes
    -----
    :math:`h' = \\tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`.
    """
    return _rnn_cell(x @ weight_ih.T + bias_ih, h_prev, weight_hh, bias_hh)


def lstm_step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step, as ``torch.nn.LSTMCell``; gate rows ``i, f, g, o``.

    Parameters
    ----------
    x : (n_batch, I)
    h_prev, c_prev : (n_batch, H)
    weight_ih : (4H, I)
    weight_hh : (4H, H)
    bias_ih, bias_hh : (4H,)

    Returns
    -------
    h, c : (n_batch, H) each

    Notes
    -----
    :math:`c' = f \\odot c + i \\odot g`, :math:`h' = o \\odot \\tanh(c')` (module docstring).
    """
    h, c, _, _ = _lstm_cell(x @ weight_ih.T + bias_ih, h_prev, c_prev, weight_hh, bias_hh)
    return h, c


def gru_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One GRU step, as ``torch.nn.GRUCell``; gate rows ``r, z, n``.

    Parameters
    ----------
    x : (n_batch, I)
    h_prev : (n_batch, H)
    weight_ih : (3H, I)
    weight_hh : (3H, H)
    bias_ih, bias_hh : (3H,)

    Returns
    -------
    h : (n_batch, H)

    Notes
    -----
    :math:`n = \\tanh(W_{in} x + b_{in} + r \\odot (W_{hn} h + b_{hn}))`,
    :math:`h' = (1 - z) \\odot n + z \\odot h`.
    """
    return _gru_cell(x @ weight_ih.T + bias_ih, h_prev, weight_hh, bias_hh)[0]


# ----------------------------------------------------------------------------- sequences


@dataclass(frozen=True)
class Trace:
    """What a sequence forward pass keeps for its backward pass.

    ``hs[t]`` is the state after step ``t`` (0-based), so ``hs[-1]`` is the final state; ``h0``
    and ``c0`` are the initial states. ``acts`` holds per-step activations, each
    ``(n_steps, n_batch, H)``: LSTM ``i, f, g, o, tanh_c``; GRU ``r, z, n, gh_n`` (gh_n is
    ``W_hn h + b_hn``, which r multiplies); RNN none.
    """

    cell: str
    xs: np.ndarray
    h0: np.ndarray
    c0: np.ndarray | None
    hs: np.ndarray
    cs: np.ndarray | None
    acts: dict
    weight_ih: np.ndarray
    weight_hh: np.ndarray


@dataclass(frozen=True)
class Gradients:
    """Gradients of a scalar loss from backpropagation through time.

    Attributes
    ----------
    dxs : (n_steps, n_batch, I)
        dL/dx_t for every input.
    dh0 : (n_batch, H)
        dL/dh0, the initial hidden state.
    dc0 : (n_batch, H) or None
        dL/dc0 (LSTM only).
    dweight_ih, dweight_hh, dbias_ih, dbias_hh
        Same shapes as the parameters.
    dh_total : (n_steps, n_batch, H)
        dL/dh_t for the state after step t, counting the loss's direct gradient and everything
        that flows back from later steps (``dh0`` continues it before step 0).
    dc_total : (n_steps, n_batch, H) or None
        The same for the LSTM cell state c_t, including its path through h_t = o_t tanh(c_t).
    """

    dxs: np.ndarray
    dh0: np.ndarray
    dc0: np.ndarray | None
    dweight_ih: np.ndarray
    dweight_hh: np.ndarray
    dbias_ih: np.ndarray
    dbias_hh: np.ndarray
    dh_total: np.ndarray
    dc_total: np.ndarray | None


def _check_sequence(cell, xs, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    if xs.ndim != 3 or h0.ndim != 2:
        raise ValueError(f"xs must be (n_steps, n_batch, n_input) and h0 (n_batch, n_hidden); "
                         f"got {xs.shape}, {h0.shape}")
    n_steps, n_batch, n_input = xs.shape
    n_hidden = h0.shape[1]
    want = param_shapes(cell, n_input, n_hidden)
    got = {"weight_ih": weight_ih.shape, "weight_hh": weight_hh.shape,
           "bias_ih": bias_ih.shape, "bias_hh": bias_hh.shape}
    if got != want or h0.shape[0] != n_batch or n_steps < 1:
        raise ValueError(f"{cell}: shapes {got}, h0 {h0.shape} do not fit xs {xs.shape}; want {want}")


def _blocks(array, names):
    """Views of the equal blocks of the last axis, by name."""
    width = array.shape[-1] // len(names)
    return {name: array[..., k * width:(k + 1) * width] for k, name in enumerate(names)}


def rnn_forward(xs, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Run a tanh RNN over a sequence.

    Parameters
    ----------
    xs : (n_steps, n_batch, I)
    h0 : (n_batch, H)
    weight_ih, weight_hh, bias_ih, bias_hh
        PyTorch layout, see the module docstring.

    Returns
    -------
    hs : (n_steps, n_batch, H)
        The state after every step (what ``torch.nn.RNN`` returns as its output).
    trace : Trace
        For :func:`rnn_backward`.
    """
    _check_sequence("rnn", xs, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    gis = xs @ weight_ih.T + bias_ih  # input side of every step at once; only the recurrence must loop
    hs = np.empty(gis.shape, dtype=np.result_type(gis, h0))
    h = h0
    for t in range(len(xs)):
        h = hs[t] = _rnn_cell(gis[t], h, weight_hh, bias_hh)
    return hs, Trace("rnn", xs, h0, None, hs, None, {}, weight_ih, weight_hh)


def lstm_forward(xs, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Run an LSTM over a sequence.

    Parameters
    ----------
    xs : (n_steps, n_batch, I)
    h0, c0 : (n_batch, H)
    weight_ih, weight_hh, bias_ih, bias_hh
        PyTorch layout (rows i, f, g, o), see the module docstring.

    Returns
    -------
    hs, cs : (n_steps, n_batch, H) each
        Hidden and cell state after every step.
    trace : Trace
        For :func:`lstm_backward`; ``trace.acts["f"]`` holds the forget gates.
    """
    _check_sequence("lstm", xs, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    if c0.shape != h0.shape:
        raise ValueError(f"c0 must have the shape of h0 {h0.shape}; got {c0.shape}")
    gis = xs @ weight_ih.T + bias_ih
    shape = (len(xs),) + h0.shape
    dtype = np.result_type(gis, h0, c0)
    hs, cs, tanh_cs = np.empty(shape, dtype), np.empty(shape, dtype), np.empty(shape, dtype)
    gates = np.empty(gis.shape, dtype)
    h, c = h0, c0
    for t in range(len(xs)):
        h, c, gates[t], tanh_cs[t] = _lstm_cell(gis[t], h, c, weight_hh, bias_hh)
        hs[t], cs[t] = h, c
    acts = _blocks(gates, "ifgo") | {"tanh_c": tanh_cs}
    return hs, cs, Trace("lstm", xs, h0, c0, hs, cs, acts, weight_ih, weight_hh)


def gru_forward(xs, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Run a GRU over a sequence.

    Parameters
    ----------
    xs : (n_steps, n_batch, I)
    h0 : (n_batch, H)
    weight_ih, weight_hh, bias_ih, bias_hh
        PyTorch layout (rows r, z, n), see the module docstring.

    Returns
    -------
    hs : (n_steps, n_batch, H)
    trace : Trace
        For :func:`gru_backward`.
    """
    _check_sequence("gru", xs, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    gis = xs @ weight_ih.T + bias_ih
    shape = (len(xs),) + h0.shape
    dtype = np.result_type(gis, h0)
    hs, gh_ns = np.empty(shape, dtype), np.empty(shape, dtype)
    gates = np.empty(gis.shape, dtype)  # r, z, n side by side
    h = h0
    n_hidden = h0.shape[1]
    for t in range(len(xs)):
        h, gates[t, :, :2 * n_hidden], gates[t, :, 2 * n_hidden:], gh_ns[t] = _gru_cell(gis[t], h, weight_hh, bias_hh)
        hs[t] = h
    acts = _blocks(gates, "rzn") | {"gh_n": gh_ns}
    return hs, Trace("gru", xs, h0, None, hs, None, acts, weight_ih, weight_hh)


def _param_grads(trace, dgis, dghs):
    """Input, weight and bias gradients from the pre-activation gradients of every step.

    ``dgis``/``dghs`` are dL/d(input-side)/d(hidden-side) pre-activations, ``(n_steps, n_batch, G*H)``;
    they differ only in the GRU's n block.
    """
    h_prevs = np.concatenate([trace.h0[None], trace.hs[:-1]])  # the state each step read
    steps_and_batch = ([0, 1], [0, 1])  # sum over time and batch; tensordot reaches BLAS, einsum may not
    return dict(
        dxs=dgis @ trace.weight_ih,
        dweight_ih=np.tensordot(dgis, trace.xs, axes=steps_and_batch),
        dweight_hh=np.tensordot(dghs, h_prevs, axes=steps_and_batch),
        dbias_ih=dgis.sum(axis=(0, 1)),
        dbias_hh=dghs.sum(axis=(0, 1)),
    )


# The backward passes first compute every step's local derivatives at once (they need only the
# forward activations), then loop backwards in time doing only what depends on the gradient
# arriving from later steps.


def rnn_backward(dhs, trace):
    """Backpropagation through time for :func:`rnn_forward`.

    Parameters
    ----------
    dhs : (n_steps, n_batch, H)
        dL/dh_t as the loss sees each output directly (zeros except the last step for a loss at
        the last step).
    trace : Trace

    Returns
    -------
    Gradients

    Notes
    -----
    With :math:`a_t` the pre-activation, :math:`\\partial L/\\partial a_t = \\delta_t \\odot (1 - h_t^2)`
    and :math:`\\delta_{t-1} = \\text{dhs}_{t-1} + W_{hh}^\\top \\partial L/\\partial a_t`: every step
    multiplies by :math:`W_{hh}^\\top \\mathrm{diag}(1 - h_t^2)`.
    """
    hs, weight_hh = trace.hs, trace.weight_hh
    dtanh = 1.0 - hs**2  # tanh' from its output
    das = np.empty_like(hs)
    dh_total = np.empty_like(hs)
    dh_next = np.zeros_like(trace.h0)
    for t in reversed(range(len(hs))):
        dh = dh_total[t] = dhs[t] + dh_next
        da = das[t] = dh * dtanh[t]  # through tanh
        dh_next = da @ weight_hh  # through W_hh into the previous state
    return Gradients(dh0=dh_next, dc0=None, dh_total=dh_total, dc_total=None, **_param_grads(trace, das, das))


def lstm_backward(dhs, trace, dc_last=None):
    """Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    dhs : (n_steps, n_batch, H)
        dL/dh_t as the loss sees each output directly.
    trace : Trace
    dc_last : (n_batch, H), optional
        dL/dc for the final cell state, if the loss reads it (PyTorch's ``c_n``).

    Returns
    -------
    Gradients

    Notes
    -----
    :math:`\\partial L/\\partial c_{t-1} = f_t \\odot \\partial L/\\partial c_t` plus what flows
    through :math:`h_{t-1}`: along the cell path alone the gradient is multiplied by the forget
    gates and nothing else, :math:`\\partial c_T/\\partial c_t|_{\\text{direct}} = \\prod_{k>t} f_k`.
    """
    acts, cs = trace.acts, trace.cs
    i, f, g, o, tanh_c = (acts[k] for k in ("i", "f", "g", "o", "tanh_c"))
    c_prevs = np.concatenate([trace.c0[None], cs[:-1]])
    dc_dh = o * (1.0 - tanh_c**2)  # h = o tanh(c)
    # d(pre-activation)/dc for the i, f, g blocks (c = f c_prev + i g; sigmoid' = s(1-s), tanh' = 1-g^2)
    # and d(pre-activation)/dh for the o block (h = o tanh(c)).
    local = np.concatenate(
        [g * i * (1.0 - i), c_prevs * f * (1.0 - f), i * (1.0 - g**2), tanh_c * o * (1.0 - o)], axis=-1
    )
    das = np.empty_like(local)
    dh_total, dc_total = np.empty_like(cs), np.empty_like(cs)
    dh_next = np.zeros_like(trace.h0)
    dc_next = np.zeros_like(trace.h0) if dc_last is None else dc_last
    for t in reversed(range(len(cs))):
        dh = dh_total[t] = dhs[t] + dh_next
        dc = dc_total[t] = dc_next + dh * dc_dh[t]
        np.multiply(local[t], np.concatenate((dc, dc, dc, dh), axis=-1), out=das[t])
        dc_next = dc * f[t]  # the additive cell path: only the forget gate scales it
        dh_next = das[t] @ trace.weight_hh  # every gate read h_prev through W_hh
    return Gradients(dh0=dh_next, dc0=dc_next, dh_total=dh_total, dc_total=dc_total, **_param_grads(trace, das, das))


def gru_backward(dhs, trace):
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dhs : (n_steps, n_batch, H)
        dL/dh_t as the loss sees each output directly.
    trace : Trace

    Returns
    -------
    Gradients

    Notes
    -----
    :math:`\\partial L/\\partial h_{t-1} = z_t \\odot \\delta_t + W_{hh}^\\top (\\ldots)`: the
    update gate plays the forget gate's role on the direct path :math:`h' = \\ldots + z \\odot h`.
    Every pre-activation gradient is :math:`\\delta_t` times a local factor, because the GRU's
    only state is h.
    """
    acts, hs = trace.acts, trace.hs
    r, z, n, gh_n = (acts[k] for k in ("r", "z", "n", "gh_n"))
    h_prevs = np.concatenate([trace.h0[None], hs[:-1]])
    d_an = (1.0 - z) * (1.0 - n**2)  # h = (1 - z) n + z h_prev, n = tanh(a_n)
    d_ar = d_an * gh_n * r * (1.0 - r)  # r scales gh_n = W_hn h + b_hn inside a_n
    d_az = (h_prevs - n) * z * (1.0 - z)  # dh/dz = h_prev - n
    local_hh = np.concatenate([d_ar, d_az, d_an * r], axis=-1)  # the hidden side of n is gated by r
    dghs = np.empty_like(local_hh)
    dh_total = np.empty_like(hs)
    dh_next = np.zeros_like(trace.h0)
    for t in reversed(range(len(hs))):
        dh = dh_total[t] = dhs[t] + dh_next
        np.multiply(local_hh[t], np.concatenate((dh, dh, dh), axis=-1), out=dghs[t])
        dh_next = dh * z[t] + dghs[t] @ trace.weight_hh  # direct path through z, plus through every gate
    dgis = np.concatenate([dh_total] * 3, axis=-1) * np.concatenate([d_ar, d_az, d_an], axis=-1)
    return Gradients(dh0=dh_next, dc0=None, dh_total=dh_total, dc_total=None, **_param_grads(trace, dgis, dghs))
