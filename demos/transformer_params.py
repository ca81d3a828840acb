"""Claim: nn.MultiheadAttention(E, h) has 4E^2 + 4E parameters whatever the number of heads h (the
heads split E, they do not multiply it): 1,050,624 for E = 512. nn.TransformerEncoderLayer(512, 8)
has 3,152,384 (two thirds in the feed-forward block, dim_feedforward = 2048), the decoder layer
4,204,032 (a second attention block and a third LayerNorm), and the default nn.Transformer()
44,140,544. Tying the output projection to a 32000 x 512 embedding saves 16,384,000.

Counts follow PyTorch's modules and ``named_parameters()`` names (PyTorch >= 2.1, which added
``bias`` to nn.LayerNorm and the Transformer layers):

- ``nn.MultiheadAttention(embed_dim, num_heads, bias=True, add_bias_kv=False, kdim=None, vdim=None)``:
  when kdim and vdim equal embed_dim (``_qkv_same_embed_dim``) one packed ``in_proj_weight``
  (3E, E); otherwise ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight``
  (E, vdim). ``in_proj_bias`` (3E,) and ``out_proj.weight`` (E, E), ``out_proj.bias`` (E,) whenever
  bias=True (bias=False drops both biases); ``bias_k``, ``bias_v`` (1, 1, E) with add_bias_kv.
- ``nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, bias=True, norm_first=False)``:
  ``self_attn`` (as above, kdim = vdim = d_model, no bias_kv), ``linear1`` (F, d), ``linear2``
  (d, F), ``norm1``, ``norm2`` (LayerNorm(d): weight and, with bias, bias). ``norm_first`` only moves
  the LayerNorms in forward(), so the count is the same.
- ``nn.TransformerDecoderLayer``: ``self_attn``, ``multihead_attn`` (cross-attention), the same FFN,
  ``norm1``, ``norm2``, ``norm3``.
- ``nn.Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward)``: the
  layers plus a final LayerNorm after the encoder stack and one after the decoder stack. It has no
  embedding and no positional encoding.
- ``nn.Embedding(vocab, d)``: ``weight`` (vocab, d). An output projection ``nn.Linear(d, vocab)`` has
  ``weight`` (vocab, d), the same shape; tying (``head.weight = embedding.weight``) shares one
  tensor, which ``model.parameters()`` yields once. A head bias (vocab,) is never shared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

META = {
    "title": "Parameters of multi-head attention and Transformer layers",
    "summary": "PyTorch parameter counts: MultiheadAttention 4E^2+4E for any head count, encoder/decoder layers, tying",
    "topics": ["attention", "transformer"],
    "params": {
        "embed_dim": {"type": "int", "default": 512, "min": 1, "max": 65536,
                      "help": "model width E (embed_dim, d_model)"},
        "num_heads": {"type": "int", "default": 8, "min": 1, "max": 1024,
                      "help": "attention heads (num_heads, nhead); must divide embed_dim"},
        "dim_feedforward": {"type": "int", "default": 2048, "min": 1, "max": 262144,
                            "help": "hidden width F of the feed-forward block (PyTorch default 2048)"},
        "no_bias": {"type": "flag", "default": False,
                    "help": "bias=False: no Linear or LayerNorm biases (MultiheadAttention: no in/out biases)"},
        "add_bias_kv": {"type": "flag", "default": False,
                        "help": "nn.MultiheadAttention add_bias_kv=True (the stand-alone module only)"},
        "kdim": {"type": "int", "default": 0, "min": 0, "max": 65536,
                 "help": "MultiheadAttention kdim; 0 means None (= embed_dim)"},
        "vdim": {"type": "int", "default": 0, "min": 0, "max": 65536,
                 "help": "MultiheadAttention vdim; 0 means None (= embed_dim)"},
        "norm_first": {"type": "flag", "default": False,
                       "help": "pre-norm layers (norm_first=True); placement only, same parameters"},
        "layers": {"type": "int", "default": 6, "min": 1, "max": 1000,
                   "help": "nn.Transformer num_encoder_layers = num_decoder_layers"},
        "vocab_size": {"type": "int", "default": 32000, "min": 1, "max": 10000000,
                       "help": "rows of nn.Embedding(vocab_size, embed_dim) and outputs of the LM head"},
        "head_bias": {"type": "flag", "default": False,
                      "help": "the output projection nn.Linear(embed_dim, vocab_size) has a bias"},
    },
    "outputs": {
        "embed_dim": "E",
        "num_heads": "h",
        "head_dim": "E / h, the width of each head",
        "kdim": "key input width (embed_dim unless given)",
        "vdim": "value input width (embed_dim unless given)",
        "qkv_same_embed_dim": "kdim == vdim == E: one packed in_proj_weight instead of q/k/v_proj_weight",
        "mha_shapes": "nn.MultiheadAttention: parameter name -> shape, in named_parameters() order",
        "mha_total": "nn.MultiheadAttention parameters",
        "mha_in_proj": "parameters of the q, k, v input projections (weights and in_proj_bias)",
        "mha_out_proj": "parameters of out_proj (weight and bias)",
        "mha_totals_by_heads": "nn.MultiheadAttention(E, h) parameters for each h that divides E (up to 64)",
        "layer_norm_params": "nn.LayerNorm(E) parameters: weight and bias (E each), or E without bias",
        "layer_norm_buffers": "nn.LayerNorm buffer values (none: no running statistics)",
        "ffn_params": "linear1 + linear2 of a Transformer layer",
        "encoder_layer_shapes": "nn.TransformerEncoderLayer: parameter name -> shape",
        "encoder_layer_total": "nn.TransformerEncoderLayer parameters",
        "encoder_layer_totals_by_norm_first": "encoder-layer parameters with norm_first False and True (equal)",
        "encoder_layer_breakdown": "encoder layer: self_attn, ffn and norms parameters",
        "ffn_share": "share of the encoder layer's parameters in the feed-forward block",
        "decoder_layer_shapes": "nn.TransformerDecoderLayer: parameter name -> shape",
        "decoder_layer_total": "nn.TransformerDecoderLayer parameters",
        "decoder_layer_breakdown": "decoder layer: self_attn, multihead_attn, ffn and norms parameters",
        "transformer_shapes": "nn.Transformer: parameter name -> shape (encoder, then decoder)",
        "transformer_total": "nn.Transformer parameters (layers + the two final LayerNorms)",
        "stack_norm_params": "nn.Transformer parameters outside its layers: encoder.norm and decoder.norm",
        "embedding_params": "nn.Embedding(vocab_size, E) parameters",
        "head_params": "output projection nn.Linear(E, vocab_size) parameters",
        "embedding_and_head_untied": "embedding + separate output projection",
        "embedding_and_head_tied": "embedding + output projection sharing the embedding's weight",
        "tying_saves": "parameters saved by tying (vocab_size x E)",
    },
}

HEAD_CHOICES = (1, 2, 4, 8, 12, 16, 32, 64)  # head counts compared in mha_totals_by_heads


@dataclass(frozen=True)
class TransformerParams:
    embed_dim: int
    num_heads: int
    head_dim: int
    kdim: int
    vdim: int
    qkv_same_embed_dim: bool
    mha_shapes: dict[str, tuple[int, ...]]
    mha_total: int
    mha_in_proj: int
    mha_out_proj: int
    mha_totals_by_heads: dict[int, int]
    layer_norm_params: int
    layer_norm_buffers: int
    ffn_params: int
    encoder_layer_shapes: dict[str, tuple[int, ...]]
    encoder_layer_total: int
    encoder_layer_totals_by_norm_first: dict[bool, int]
    encoder_layer_breakdown: dict[str, int]
    ffn_share: float
    decoder_layer_shapes: dict[str, tuple[int, ...]]
    decoder_layer_total: int
    decoder_layer_breakdown: dict[str, int]
    transformer_shapes: dict[str, tuple[int, ...]]
    transformer_total: int
    stack_norm_params: int
    embedding_params: int
    head_params: int
    embedding_and_head_untied: int
    embedding_and_head_tied: int
    tying_saves: int


Shapes = dict[str, tuple[int, ...]]


def count(shapes: Shapes, prefix: str = "") -> int:
    """Parameters in the tensors whose name starts with ``prefix``."""
    return sum(math.prod(shape) for name, shape in shapes.items() if name.startswith(prefix))


def _prefixed(prefix: str, shapes: Shapes) -> Shapes:
    return {f"{prefix}.{name}": shape for name, shape in shapes.items()}


def linear_shapes(in_features: int, out_features: int, bias: bool = True) -> Shapes:
    """``nn.Linear``: weight (out, in), bias (out,)."""
    return {"weight": (out_features, in_features), **({"bias": (out_features,)} if bias else {})}


def layer_norm_shapes(normalized_shape: tuple[int, ...], elementwise_affine: bool = True, bias: bool = True) -> Shapes:
    """``nn.LayerNorm``: weight and bias of ``normalized_shape`` (no buffers)."""
    if not elementwise_affine:
        return {}
    return {"weight": tuple(normalized_shape), **({"bias": tuple(normalized_shape)} if bias else {})}


def mha_shapes(embed_dim: int, num_heads: int, bias: bool = True, add_bias_kv: bool = False,
               kdim: int | None = None, vdim: int | None = None) -> Shapes:
    """``nn.MultiheadAttention`` parameters, keyed and ordered as ``named_parameters()``.

    Own parameters come first in registration order (the packed or separate input projections,
    in_proj_bias, bias_k, bias_v), then the ``out_proj`` submodule's.
    """
    if embed_dim % num_heads:
        raise ValueError("embed_dim must be divisible by num_heads")
    kdim = embed_dim if kdim is None else kdim
    vdim = embed_dim if vdim is None else vdim
    shapes: Shapes = {}
    if kdim == embed_dim and vdim == embed_dim:
        shapes["in_proj_weight"] = (3 * embed_dim, embed_dim)
    else:
        shapes["q_proj_weight"] = (embed_dim, embed_dim)
        shapes["k_proj_weight"] = (embed_dim, kdim)
        shapes["v_proj_weight"] = (embed_dim, vdim)
    if bias:
        shapes["in_proj_bias"] = (3 * embed_dim,)
    if add_bias_kv:
        shapes["bias_k"] = (1, 1, embed_dim)
        shapes["bias_v"] = (1, 1, embed_dim)
    shapes.update(_prefixed("out_proj", linear_shapes(embed_dim, embed_dim, bias)))
    return shapes


def encoder_layer_shapes(d_model: int, nhead: int, dim_feedforward: int = 2048, bias: bool = True,
                         norm_first: bool = False) -> Shapes:
    """``nn.TransformerEncoderLayer``; ``norm_first`` changes forward(), not the parameters."""
    del norm_first  # the same modules are built either way
    return {
        **_prefixed("self_attn", mha_shapes(d_model, nhead, bias)),
        **_prefixed("linear1", linear_shapes(d_model, dim_feedforward, bias)),
        **_prefixed("linear2", linear_shapes(dim_feedforward, d_model, bias)),
        **_prefixed("norm1", layer_norm_shapes((d_model,), bias=bias)),
        **_prefixed("norm2", layer_norm_shapes((d_model,), bias=bias)),
    }


def decoder_layer_shapes(d_model: int, nhead: int, dim_feedforward: int = 2048, bias: bool = True,
                         norm_first: bool = False) -> Shapes:
    """``nn.TransformerDecoderLayer``: self-attention, cross-attention, FFN and three LayerNorms."""
    del norm_first
    return {
        **_prefixed("self_attn", mha_shapes(d_model, nhead, bias)),
        **_prefixed("multihead_attn", mha_shapes(d_model, nhead, bias)),
        **_prefixed("linear1", linear_shapes(d_model, dim_feedforward, bias)),
        **_prefixed("linear2", linear_shapes(dim_feedforward, d_model, bias)),
        **_prefixed("norm1", layer_norm_shapes((d_model,), bias=bias)),
        **_prefixed("norm2", layer_norm_shapes((d_model,), bias=bias)),
        **_prefixed("norm3", layer_norm_shapes((d_model,), bias=bias)),
    }


def transformer_shapes(d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                       num_decoder_layers: int = 6, dim_feedforward: int = 2048, bias: bool = True) -> Shapes:
    """``nn.Transformer``: encoder.layers.i, encoder.norm, decoder.layers.i, decoder.norm."""
    shapes: Shapes = {}
    for i in range(num_encoder_layers):
        shapes.update(_prefixed(f"encoder.layers.{i}", encoder_layer_shapes(d_model, nhead, dim_feedforward, bias)))
    shapes.update(_prefixed("encoder.norm", layer_norm_shapes((d_model,), bias=bias)))
    for i in range(num_decoder_layers):
        shapes.update(_prefixed(f"decoder.layers.{i}", decoder_layer_shapes(d_model, nhead, dim_feedforward, bias)))
    shapes.update(_prefixed("decoder.norm", layer_norm_shapes((d_model,), bias=bias)))
    return shapes


def compute(embed_dim: int = 512, num_heads: int = 8, dim_feedforward: int = 2048, no_bias: bool = False,
            add_bias_kv: bool = False, kdim: int = 0, vdim: int = 0, norm_first: bool = False, layers: int = 6,
            vocab_size: int = 32000, head_bias: bool = False) -> TransformerParams:
    """Parameter counts of PyTorch's attention and Transformer modules at these sizes."""
    from mlquiz.errors import DemoInputError

    if embed_dim % num_heads:
        from mlquiz.i18n import _

        raise DemoInputError(_("--embed-dim {embed_dim} is not divisible by --num-heads {num_heads} "
                               "(PyTorch: 'embed_dim must be divisible by num_heads'); pick a divisor").format(
            embed_dim=embed_dim, num_heads=num_heads))
    bias = not no_bias
    k, v = kdim or embed_dim, vdim or embed_dim
    mha = mha_shapes(embed_dim, num_heads, bias, add_bias_kv, k, v)
    enc = encoder_layer_shapes(embed_dim, num_heads, dim_feedforward, bias, norm_first)
    dec = decoder_layer_shapes(embed_dim, num_heads, dim_feedforward, bias, norm_first)
    full = transformer_shapes(embed_dim, num_heads, layers, layers, dim_feedforward, bias)
    enc_total, dec_total = count(enc), count(dec)
    ffn = count(enc, "linear")
    norm = count(layer_norm_shapes((embed_dim,), bias=bias))
    embedding = vocab_size * embed_dim
    head = count(linear_shapes(embed_dim, vocab_size, head_bias))
    return TransformerParams(
        embed_dim=embed_dim,
        num_heads=num_heads,
        head_dim=embed_dim // num_heads,
        kdim=k,
        vdim=v,
        qkv_same_embed_dim=k == embed_dim and v == embed_dim,
        mha_shapes=mha,
        mha_total=count(mha),
        mha_in_proj=count(mha) - count(mha, "out_proj") - count(mha, "bias_"),
        mha_out_proj=count(mha, "out_proj"),
        mha_totals_by_heads={h: count(mha_shapes(embed_dim, h, bias, add_bias_kv, k, v))
                             for h in HEAD_CHOICES if embed_dim % h == 0},
        layer_norm_params=norm,
        layer_norm_buffers=0,
        ffn_params=ffn,
        encoder_layer_shapes=enc,
        encoder_layer_total=enc_total,
        encoder_layer_totals_by_norm_first={
            nf: count(encoder_layer_shapes(embed_dim, num_heads, dim_feedforward, bias, nf)) for nf in (False, True)},
        encoder_layer_breakdown={"self_attn": count(enc, "self_attn."), "ffn": ffn, "norms": count(enc, "norm")},
        ffn_share=ffn / enc_total,
        decoder_layer_shapes=dec,
        decoder_layer_total=dec_total,
        decoder_layer_breakdown={"self_attn": count(dec, "self_attn."), "multihead_attn": count(dec, "multihead_attn."),
                                 "ffn": count(dec, "linear"), "norms": count(dec, "norm")},
        transformer_shapes=full,
        transformer_total=count(full),
        stack_norm_params=count(full, "encoder.norm.") + count(full, "decoder.norm."),
        embedding_params=embedding,
        head_params=head,
        embedding_and_head_untied=embedding + head,
        embedding_and_head_tied=embedding + head - vocab_size * embed_dim,
        tying_saves=vocab_size * embed_dim,
    )


def render(result: TransformerParams):
    from rich.console import Group

    from mlquiz.charts import bar_chart, key_values
    from mlquiz.i18n import _

    r = result
    yes, no = _("yes"), _("no")
    mha = f"MultiheadAttention({r.embed_dim}, {r.num_heads})" + (
        "" if r.qkv_same_embed_dim else f" kdim={r.kdim} vdim={r.vdim}")
    summary = key_values(
        f"E={r.embed_dim}, h={r.num_heads} (head_dim {r.head_dim}), F={r.encoder_layer_shapes['linear1.weight'][0]}",
        [
            (mha, f"{r.mha_total:,}"),
            ("  " + _("input projections / out_proj"), f"{r.mha_in_proj:,} / {r.mha_out_proj:,}"),
            ("  " + _("packed in_proj_weight"), yes if r.qkv_same_embed_dim else _("no: q/k/v_proj_weight")),
            (_("LayerNorm(E): parameters / buffers"), f"{r.layer_norm_params:,} / {r.layer_norm_buffers}"),
            ("TransformerEncoderLayer", f"{r.encoder_layer_total:,}"),
            ("  " + _("feed-forward share"), f"{r.ffn_share:.1%}"),
            ("  " + _("same with norm_first=True"), yes if len(set(r.encoder_layer_totals_by_norm_first.values())) == 1
             else no),
            ("TransformerDecoderLayer", f"{r.decoder_layer_total:,}"),
            (_("nn.Transformer (both stacks)"), f"{r.transformer_total:,}"),
            (_("Embedding + head, untied / tied"),
             f"{r.embedding_and_head_untied:,} / {r.embedding_and_head_tied:,}"),
        ],
    )
    heads = bar_chart(_("MultiheadAttention parameters by head count (same E)"),
                      [f"h={h}" for h in r.mha_totals_by_heads], list(r.mha_totals_by_heads.values()),
                      value_format="{:,}")
    blocks = {"norms": _("norms")}
    layer = bar_chart(_("encoder layer parameters by block"), [blocks.get(b, b) for b in r.encoder_layer_breakdown],
                      list(r.encoder_layer_breakdown.values()), value_format="{:,}")
    return Group(summary, heads, layer)
