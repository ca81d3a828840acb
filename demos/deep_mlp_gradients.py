"""Claim: in a deep MLP the gradient reaching the first layer is a product of one Jacobian per
layer, so its size depends on the activation and the initialisation. After one backward pass
through 20 layers of width 64 (seed 0):

- sigmoid + Xavier vanishes: the input gradient is 2e-13 of the top one (0.23 per layer, near
  the mean sigmoid' of N(0,1) inputs, 0.21);
- ReLU + He stays healthy: first/last ratio 0.77 (0.99 per layer);
- ReLU + N(0, 0.5^2) explodes: 0.5 * sqrt(64/2) = 2.8 per layer, 8e8 over 20 layers. The weight
  scale does it, not ReLU (whose derivative is 0 or 1);
- residual connections rescue sigmoid: h + f(h W) has Jacobian I + W diag(sigma') per layer, and
  the identity path carries the gradient down (ratio 1.3; helped, not lossless);
- BatchNorm (--batchnorm) cancels most of a too-large weight scale: ReLU + N(0, 0.5^2) gives 36
  instead of 8e8.

With ReLU the weight gradients dW_l = h_{l-1}^T dz_l stay balanced across layers even while
exploding (activations grow forward as fast as gradients grow backward), so the explosion shows
in ||dL/dh_l|| and in the size of every dW, not in the first/last ratio of dW.

The network: x (n_batch, width) -> depth x [Linear(width, width) -> optional BatchNorm ->
activation, optionally added to its input] -> Linear(width, 1), loss 0.5 * mean((y_hat - y)^2)
with random targets y. Forward and backward are written by hand and checked by finite differences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.demos._activations import ACTIVATIONS
from mlquiz.errors import DemoInputError

META = {
    "title": "Gradient norms through a deep MLP",
    "summary": "per-layer gradient norms after one backward pass: sigmoid vanishes, ReLU+He holds, residuals rescue",
    "topics": ["gradients", "batchnorm", "fundamentals"],
    "params": {
        "depth": {"type": "int", "default": 20, "min": 1, "max": 200,
                  "help": "number of hidden layers (each Linear(width, width) + activation)"},
        "width": {"type": "int", "default": 64, "min": 1, "max": 512,
                  "help": "units per hidden layer (the input has the same width)"},
        "activation": {"type": "choice", "default": "sigmoid", "choices": ["sigmoid", "tanh", "relu", "leaky_relu"],
                       "help": "activation after every hidden layer"},
        "init": {"type": "choice", "default": "xavier", "choices": ["normal", "xavier", "he"],
                 "help": "weights ~ N(0, std^2): normal std = init_scale, xavier 1/sqrt(width), he sqrt(2/width)"},
        "init_scale": {"type": "float", "default": 0.5, "min": 0.0001, "max": 100.0,
                       "help": "standard deviation of the weights with --init normal"},
        "batchnorm": {"type": "flag", "default": False,
                      "help": "BatchNorm (batch statistics, gamma=1, beta=0) between each Linear and activation"},
        "residual": {"type": "flag", "default": False,
                     "help": "residual connections: h_l = h_{l-1} + activation(...)"},
        "n_batch": {"type": "int", "default": 32, "min": 1, "max": 1024,
                    "help": "examples in the batch"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295,
                 "help": "seed for weights, inputs and targets"},
    },
    "outputs": {
        "depth": "number of hidden layers",
        "width": "units per hidden layer",
        "activation": "activation of the hidden layers",
        "init": "initialisation scheme",
        "init_std": "standard deviation the hidden weights were drawn with",
        "n_params": "number of trainable parameters (hidden layers, BatchNorm gamma/beta, readout)",
        "loss": "the loss of the forward pass, 0.5 * mean((y_hat - y)^2)",
        "weight_grad_norms": "Frobenius norm of dL/dW for hidden layer 1..depth (index 0 = first layer)",
        "act_grad_norms": "norm of dL/dh_l for l = 0..depth (index 0 = the input x, last = top hidden output)",
        "act_stds": "standard deviation of h_l for l = 0..depth (the forward pass)",
        "first_weight_grad_norm": "||dL/dW|| of the first hidden layer",
        "last_weight_grad_norm": "||dL/dW|| of the last hidden layer",
        "weight_grad_ratio": "first / last hidden layer's ||dL/dW||",
        "act_grad_ratio": "||dL/dx|| / ||dL/dh_depth||: how much the gradient grew (>1) or shrank (<1) over all layers",
        "log10_act_grad_ratio": "log10 of act_grad_ratio: orders of magnitude gained or lost",
        "per_layer_factor": "act_grad_ratio ** (1 / depth): the average factor per layer",
        "regime": "vanishing (ratio < 1e-2), exploding (ratio > 1e2) or stable",
    },
}

BN_EPS = 1e-5  # PyTorch's BatchNorm1d default eps
REGIME_ORDERS = 2  # 100x between first and last layer: the first layers learn 100x slower/faster
MAX_ACTIVATIONS = 2_000_000  # n_batch * width * depth floats per cached array: ~16 MB each
MAX_FLOPS = 200_000_000  # n_batch * width^2 * depth multiply-adds: a fraction of a second
MAX_WEIGHTS = 5_000_000  # width^2 * depth weights (and as many gradients): ~80 MB, whatever n_batch is


@dataclass(frozen=True)
class DeepMlpGradients:
    depth: int
    width: int
    activation: str
    init: str
    init_std: float
    n_params: int
    loss: float
    weight_grad_norms: np.ndarray
    act_grad_norms: np.ndarray
    act_stds: np.ndarray
    first_weight_grad_norm: float
    last_weight_grad_norm: float
    weight_grad_ratio: float
    act_grad_ratio: float
    log10_act_grad_ratio: float
    per_layer_factor: float
    regime: str


def init_std(init: str, width: int, init_scale: float) -> float:
    """Standard deviation of a (width, width) weight matrix under ``init``.

    Notes
    -----
    Xavier/Glorot normal: :math:`\\sqrt{2/(n_{in}+n_{out})} = 1/\\sqrt{n}` for square layers;
    He/Kaiming normal (fan-in, ReLU gain): :math:`\\sqrt{2/n_{in}}`.
    """
    if init == "xavier":
        return math.sqrt(2.0 / (width + width))
    if init == "he":
        return math.sqrt(2.0 / width)
    return float(init_scale)


def n_params(depth: int, width: int, batchnorm: bool) -> int:
    """Trainable parameters: per layer W (width^2) and b (width), or gamma, beta instead of b with BatchNorm
    (both width); plus the readout W_out (width) and b_out (1)."""
    per_layer = width * width + (2 * width if batchnorm else width)
    return depth * per_layer + width + 1


def _init_params(rng: np.random.Generator, depth: int, width: int, init: str, init_scale: float,
                 batchnorm: bool) -> dict:
    """Weights ~ N(0, init_std^2), biases 0, gamma 1, beta 0; readout ~ N(0, 1/width).

    Returns a dict of lists (one array per hidden layer): ``W`` (width, width), ``b`` (width,) or,
    with BatchNorm, ``gamma`` and ``beta`` (width,); and ``W_out`` (width, 1), ``b_out`` (1,).
    """
    std = init_std(init, width, init_scale)
    params = {"W": [rng.standard_normal((width, width)) * std for _ in range(depth)]}
    if batchnorm:
        # A bias before BatchNorm is subtracted out again by the mean; PyTorch code uses bias=False there.
        params["gamma"] = [np.ones(width) for _ in range(depth)]
        params["beta"] = [np.zeros(width) for _ in range(depth)]
    else:
        params["b"] = [np.zeros(width) for _ in range(depth)]
    # The readout is LeCun-normal whatever the hidden init, so the top gradient is comparable across inits.
    params["W_out"] = rng.standard_normal((width, 1)) / math.sqrt(width)
    params["b_out"] = np.zeros(1)
    return params


def _forward(params: dict, X: np.ndarray, y: np.ndarray, activation: str, batchnorm: bool,
             residual: bool) -> tuple[float, dict]:
    """Loss and the cache for ``_backward``.

    Parameters
    ----------
    X : (n_batch, width) inputs.  y : (n_batch, 1) targets.

    Notes
    -----
    :math:`z_l = h_{l-1} W_l + b_l`; with BatchNorm :math:`u_l = \\gamma \\hat z_l + \\beta`,
    :math:`\\hat z_l = (z_l - \\mu)/\\sqrt{\\sigma^2 + \\epsilon}` over the batch, else :math:`u_l = z_l`;
    :math:`h_l = f(u_l)` or :math:`h_{l-1} + f(u_l)` (residual);
    :math:`\\hat y = h_L W_{out} + b_{out}`, :math:`L = \\frac{1}{2N}\\sum (\\hat y - y)^2`.
    """
    f = ACTIVATIONS[activation][0]
    h = X
    layers = []
    for l, W in enumerate(params["W"]):
        z = h @ W
        layer = {"h_prev": h}
        if batchnorm:
            mu = z.mean(axis=0)
            inv_std = 1.0 / np.sqrt(z.var(axis=0) + BN_EPS)  # biased variance, as BatchNorm in training
            z_hat = (z - mu) * inv_std
            u = params["gamma"][l] * z_hat + params["beta"][l]
            layer.update(z_hat=z_hat, inv_std=inv_std)
        else:
            u = z + params["b"][l]
        layer["u"] = u
        layers.append(layer)
        h = h + f(u) if residual else f(u)
    y_hat = h @ params["W_out"] + params["b_out"]
    diff = y_hat - y
    loss = 0.5 * float(np.mean(diff**2))
    return loss, {"layers": layers, "h_last": h, "diff": diff}


def _backward(params: dict, cache: dict, activation: str, batchnorm: bool, residual: bool) -> dict:
    """Gradients of the loss: the same keys as ``params`` (same shapes) plus ``X`` (n_batch, width)
    and ``h`` (list of dL/dh_l for l = 0..depth)."""
    df = ACTIVATIONS[activation][1]
    diff = cache["diff"]
    n_batch = diff.shape[0]
    dy_hat = diff / n_batch  # d(0.5 mean (y_hat - y)^2) / d y_hat
    grads = {"W_out": cache["h_last"].T @ dy_hat, "b_out": dy_hat.sum(axis=0)}
    dh = dy_hat @ params["W_out"].T
    depth = len(params["W"])
    dW, db, dgamma, dbeta, dhs = [None] * depth, [None] * depth, [None] * depth, [None] * depth, [dh]
    for l in reversed(range(depth)):
        layer = cache["layers"][l]
        du = dh * df(layer["u"])  # through the activation, elementwise
        if batchnorm:
            z_hat, inv_std = layer["z_hat"], layer["inv_std"]
            dgamma[l] = (du * z_hat).sum(axis=0)
            dbeta[l] = du.sum(axis=0)
            dz_hat = du * params["gamma"][l]
            # BatchNorm backward: mu and sigma depend on every row, hence the two batch sums.
            dz = inv_std / n_batch * (n_batch * dz_hat - dz_hat.sum(axis=0) - z_hat * (dz_hat * z_hat).sum(axis=0))
        else:
            dz = du
            db[l] = dz.sum(axis=0)
        dW[l] = layer["h_prev"].T @ dz
        # Through the Linear layer; the residual path adds dh unchanged (the identity in I + W f').
        dh = dz @ params["W"][l].T + (dh if residual else 0.0)
        dhs.append(dh)
    grads["W"] = dW
    if batchnorm:
        grads["gamma"], grads["beta"] = dgamma, dbeta
    else:
        grads["b"] = db
    grads["h"] = dhs[::-1]
    grads["X"] = dhs[-1]
    return grads


def compute(depth: int = 20, width: int = 64, activation: str = "sigmoid", init: str = "xavier",
            init_scale: float = 0.5, batchnorm: bool = False, residual: bool = False, n_batch: int = 32,
            seed: int = 0) -> DeepMlpGradients:
    """One forward and backward pass of a seeded MLP; the gradient norm at every layer.

    Notes
    -----
    :math:`\\partial L/\\partial h_{l-1} = (\\partial L/\\partial h_l \\odot f'(u_l)) W_l^T`
    (plus :math:`\\partial L/\\partial h_l` with residuals), so
    :math:`\\|\\partial L/\\partial x\\| / \\|\\partial L/\\partial h_L\\|` is a product of ``depth`` factors.
    """
    from mlquiz.i18n import _

    if batchnorm and n_batch < 2:
        raise DemoInputError(_("--batchnorm needs --n-batch 2 or more: a batch of one has no variance"))
    if width * width * depth > MAX_WEIGHTS:
        raise DemoInputError(_("--width {width} and --depth {depth} make {weights:,} weights; keep "
                               "width^2*depth <= {max_weights:,} (e.g. --width 256 --depth 75)").format(
            width=width, depth=depth, weights=width * width * depth, max_weights=MAX_WEIGHTS))
    if n_batch * width * depth > MAX_ACTIVATIONS or n_batch * width * width * depth > MAX_FLOPS:
        raise DemoInputError(
            _("n_batch * width * depth = {activations} (and width^2 times that) is too large to run quickly; keep "
              "n_batch*width*depth <= {max_activations} and n_batch*width^2*depth <= {max_flops}").format(
                activations=n_batch * width * depth, max_activations=MAX_ACTIVATIONS, max_flops=MAX_FLOPS)
        )
    rng = np.random.default_rng(seed)
    params = _init_params(rng, depth, width, init, init_scale, batchnorm)
    X = rng.standard_normal((n_batch, width))
    y = rng.standard_normal((n_batch, 1))
    with np.errstate(over="ignore", invalid="ignore"):
        loss, cache = _forward(params, X, y, activation, batchnorm, residual)
        grads = _backward(params, cache, activation, batchnorm, residual)
    act_grad_norms = np.array([np.linalg.norm(g) for g in grads["h"]])
    weight_grad_norms = np.array([np.linalg.norm(g) for g in grads["W"]])
    if not (math.isfinite(loss) and np.all(np.isfinite(act_grad_norms)) and np.all(np.isfinite(weight_grad_norms))):
        raise DemoInputError(_("the activations or gradients overflowed float64; lower --init-scale or --depth"))
    hs = [layer["h_prev"] for layer in cache["layers"]] + [cache["h_last"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        act_ratio = float(act_grad_norms[0] / act_grad_norms[-1])
        weight_ratio = float(weight_grad_norms[0] / weight_grad_norms[-1])
        log10_ratio = float(np.log10(act_ratio)) if act_ratio > 0 else float("-inf")
    if log10_ratio < -REGIME_ORDERS:
        regime = "vanishing"
    elif log10_ratio > REGIME_ORDERS:
        regime = "exploding"
    else:
        regime = "stable"
    return DeepMlpGradients(
        depth=depth,
        width=width,
        activation=activation,
        init=init,
        init_std=init_std(init, width, init_scale),
        n_params=n_params(depth, width, batchnorm),
        loss=loss,
        weight_grad_norms=weight_grad_norms,
        act_grad_norms=act_grad_norms,
        act_stds=np.array([float(h.std()) for h in hs]),
        first_weight_grad_norm=float(weight_grad_norms[0]),
        last_weight_grad_norm=float(weight_grad_norms[-1]),
        weight_grad_ratio=weight_ratio,
        act_grad_ratio=act_ratio,
        log10_act_grad_ratio=log10_ratio,
        per_layer_factor=float(act_ratio ** (1.0 / depth)),
        regime=regime,
    )




def render(result: DeepMlpGradients):
    from rich.console import Group

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    summary = key_values(
        _("{depth} x {activation}, {init} init (std {std:.4g}): {regime}").format(
            depth=result.depth, activation=result.activation, init=result.init, std=result.init_std,
            regime=_regime(result.regime)),
        [
            ("||dL/dx|| / ||dL/dh_top||", f"{result.act_grad_ratio:.4g}"),
            (_("orders of magnitude"), f"{result.log10_act_grad_ratio:+.2f}"),
            (_("factor per layer"), f"{result.per_layer_factor:.4g}"),
            (_("first / last layer ||dL/dW||"), f"{result.weight_grad_ratio:.4g}"),
            (_("||dL/dW|| first, last layer"), f"{result.first_weight_grad_norm:.3g}, {result.last_weight_grad_norm:.3g}"),
            (_("loss"), f"{result.loss:.4g}"),
        ],
    )
    return Group(summary, draw(figure(result)))


def figure(result: DeepMlpGradients):
    """||dL/dh|| at every layer (0 = the input), on a log axis."""
    from mlquiz.charts import Figure, Series
    from mlquiz.i18n import _

    norms = tuple(float(v) for v in result.act_grad_norms)
    return Figure(_("||dL/dh|| by layer: {depth} x {activation}, {init} init").format(
                      depth=result.depth, activation=result.activation, init=result.init),
                  _("layer (0 = input)"), "||dL/dh||", (Series(result.activation, tuple(range(len(norms))), norms),),
                  log_y=True, caption=_("The gradient {regime}: {factor:.3g} per layer.").format(
                      regime=_regime(result.regime), factor=result.per_layer_factor))


def _regime(regime: str) -> str:
    """The regime word as shown: English in the result, translated on screen."""
    from mlquiz.i18n import pgettext

    return {"vanishing": pgettext("gradient regime", "vanishing"), "exploding": pgettext("gradient regime", "exploding"),
            "stable": pgettext("gradient regime", "stable")}.get(regime, regime)
