"""transformer-params: every listed shape against a brute-force enumeration written the way
PyTorch builds the modules (each __init__ registering its parameters and submodules in order, and
named_parameters() walking them, shared tensors once), plus the closed forms and known totals."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import transformer_params
from mlquiz.errors import DemoInputError


class Param:
    def __init__(self, *shape):
        self.shape = tuple(shape)


class Module:
    """Just enough of nn.Module: ordered parameters (None = registered as absent) and children."""

    def __init__(self):
        self._parameters, self._modules = {}, {}

    def __setattr__(self, name, value):
        if isinstance(value, Param):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_parameter(self, name, value):
        self._parameters[name] = value

    def named_parameters(self, prefix="", seen=None):
        seen = set() if seen is None else seen
        for name, p in self._parameters.items():
            if p is not None and id(p) not in seen:  # remove_duplicate=True: a tied tensor once
                seen.add(id(p))
                yield prefix + name, p
        for name, child in self._modules.items():
            yield from child.named_parameters(f"{prefix}{name}.", seen)


def shapes(module):
    return {name: p.shape for name, p in module.named_parameters()}


def total(module):
    return sum(math.prod(p.shape) for _, p in module.named_parameters())


class Linear(Module):
    def __init__(self, n_in, n_out, bias=True):
        super().__init__()
        self.weight = Param(n_out, n_in)
        if bias:
            self.bias = Param(n_out)
        else:
            self.register_parameter("bias", None)


class LayerNorm(Module):
    def __init__(self, d, bias=True):
        super().__init__()
        self.weight = Param(d)
        if bias:
            self.bias = Param(d)
        else:
            self.register_parameter("bias", None)


class MultiheadAttention(Module):
    """Transcribed from torch/nn/modules/activation.py, MultiheadAttention.__init__."""

    def __init__(self, embed_dim, num_heads, bias=True, add_bias_kv=False, kdim=None, vdim=None):
        super().__init__()
        kdim = kdim if kdim is not None else embed_dim
        vdim = vdim if vdim is not None else embed_dim
        assert (embed_dim // num_heads) * num_heads == embed_dim
        if not (kdim == embed_dim and vdim == embed_dim):
            self.q_proj_weight = Param(embed_dim, embed_dim)
            self.k_proj_weight = Param(embed_dim, kdim)
            self.v_proj_weight = Param(embed_dim, vdim)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Param(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        if bias:
            self.in_proj_bias = Param(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if add_bias_kv:
            self.bias_k = Param(1, 1, embed_dim)
            self.bias_v = Param(1, 1, embed_dim)


class EncoderLayer(Module):
    def __init__(self, d, nhead, ff=2048, bias=True, norm_first=False):
        super().__init__()
        self.self_attn = MultiheadAttention(d, nhead, bias=bias)
        self.linear1 = Linear(d, ff, bias)
        self.linear2 = Linear(ff, d, bias)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d, bias)
        self.norm2 = LayerNorm(d, bias)


class DecoderLayer(Module):
    def __init__(self, d, nhead, ff=2048, bias=True, norm_first=False):
        super().__init__()
        self.self_attn = MultiheadAttention(d, nhead, bias=bias)
        self.multihead_attn = MultiheadAttention(d, nhead, bias=bias)
        self.linear1 = Linear(d, ff, bias)
        self.linear2 = Linear(ff, d, bias)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d, bias)
        self.norm2 = LayerNorm(d, bias)
        self.norm3 = LayerNorm(d, bias)


class ModuleList(Module):
    def __init__(self, modules):
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)


class Stack(Module):
    def __init__(self, layers, norm):
        super().__init__()
        self.layers = ModuleList(layers)
        self.norm = norm


class Transformer(Module):
    def __init__(self, d=512, nhead=8, n_enc=6, n_dec=6, ff=2048, bias=True):
        super().__init__()
        self.encoder = Stack([EncoderLayer(d, nhead, ff, bias) for _ in range(n_enc)], LayerNorm(d, bias))
        self.decoder = Stack([DecoderLayer(d, nhead, ff, bias) for _ in range(n_dec)], LayerNorm(d, bias))


class LanguageModelEnds(Module):
    def __init__(self, vocab, d, head_bias, tie):
        super().__init__()
        self.embedding = Module()
        self.embedding.weight = Param(vocab, d)  # nn.Embedding(vocab, d)
        self.head = Linear(d, vocab, bias=head_bias)
        if tie:
            self.head.weight = self.embedding.weight


@st.composite
def configs(draw):
    heads = draw(st.sampled_from([1, 2, 3, 4]))
    return dict(
        embed_dim=heads * draw(st.integers(1, 6)),
        num_heads=heads,
        dim_feedforward=draw(st.integers(1, 20)),
        no_bias=draw(st.booleans()),
        add_bias_kv=draw(st.booleans()),
        kdim=draw(st.sampled_from([0, 0, 3, 7])),
        vdim=draw(st.sampled_from([0, 0, 5, 2])),
        norm_first=draw(st.booleans()),
        layers=draw(st.integers(1, 3)),
        vocab_size=draw(st.integers(1, 50)),
        head_bias=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None)
@given(config=configs())
def test_shapes_match_the_module_enumeration(config):
    r = transformer_params.compute(**config)
    E, h, F, bias = config["embed_dim"], config["num_heads"], config["dim_feedforward"], not config["no_bias"]
    mha = MultiheadAttention(E, h, bias, config["add_bias_kv"], config["kdim"] or None, config["vdim"] or None)
    assert list(r.mha_shapes.items()) == list(shapes(mha).items())  # names, shapes and order
    assert r.mha_total == total(mha)
    enc = EncoderLayer(E, h, F, bias, config["norm_first"])
    assert list(r.encoder_layer_shapes.items()) == list(shapes(enc).items())
    assert r.encoder_layer_total == total(enc) == total(EncoderLayer(E, h, F, bias, not config["norm_first"]))
    assert set(r.encoder_layer_totals_by_norm_first.values()) == {total(enc)}
    dec = DecoderLayer(E, h, F, bias)
    assert list(r.decoder_layer_shapes.items()) == list(shapes(dec).items())
    assert r.decoder_layer_total == total(dec)
    full = Transformer(E, h, config["layers"], config["layers"], F, bias)
    assert list(r.transformer_shapes.items()) == list(shapes(full).items())
    assert r.transformer_total == total(full)
    V = config["vocab_size"]
    untied, tied = LanguageModelEnds(V, E, config["head_bias"], False), LanguageModelEnds(V, E, config["head_bias"], True)
    assert r.embedding_and_head_untied == total(untied)
    assert r.embedding_and_head_tied == total(tied)
    assert "head.weight" not in shapes(tied)  # the shared tensor is listed once, under embedding
    assert r.tying_saves == total(untied) - total(tied) == V * E
    assert r.layer_norm_params == total(LayerNorm(E, bias))
    assert r.head_dim * h == E


@settings(max_examples=100, deadline=None)
@given(config=configs())
def test_totals_match_the_closed_forms(config):
    r = transformer_params.compute(**config)
    E, F, B = config["embed_dim"], config["dim_feedforward"], 0 if config["no_bias"] else 1
    k, v = config["kdim"] or E, config["vdim"] or E
    mha = E * E + E * k + E * v + E * E + B * 4 * E + (2 * E if config["add_bias_kv"] else 0)
    assert r.mha_total == mha
    self_attn = 4 * E * E + B * 4 * E
    ffn = 2 * E * F + B * (F + E)
    norm = E * (1 + B)
    assert r.encoder_layer_total == self_attn + ffn + 2 * norm
    assert r.decoder_layer_total == 2 * self_attn + ffn + 3 * norm
    L = config["layers"]
    assert r.transformer_total == L * r.encoder_layer_total + L * r.decoder_layer_total + 2 * norm
    assert r.stack_norm_params == 2 * norm
    # the head count only splits E: it never changes the total
    assert len(set(r.mha_totals_by_heads.values())) == 1
    assert r.layer_norm_buffers == 0


def test_known_values():
    r = registry.run_json("transformer-params", {})
    assert r["mha_total"] == 4 * 512 * 512 + 4 * 512 == 1_050_624
    assert r["mha_shapes"] == {"in_proj_weight": [1536, 512], "in_proj_bias": [1536],
                               "out_proj.weight": [512, 512], "out_proj.bias": [512]}
    assert r["encoder_layer_total"] == 3_152_384
    assert r["encoder_layer_breakdown"] == {"self_attn": 1_050_624, "ffn": 2_099_712, "norms": 2048}
    assert r["decoder_layer_total"] == 4_204_032
    assert r["transformer_total"] == 44_140_544  # sum(p.numel() for p in nn.Transformer().parameters())
    assert r["stack_norm_params"] == 2 * 1024  # encoder.norm and decoder.norm
    assert r["tying_saves"] == 32000 * 512
    assert round(r["ffn_share"], 3) == 0.666
    kv = registry.run_json("transformer-params", {"kdim": 256, "vdim": 128})
    assert list(kv["mha_shapes"]) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                                      "out_proj.weight", "out_proj.bias"]
    assert kv["mha_shapes"]["k_proj_weight"] == [512, 256] and not kv["qkv_same_embed_dim"]
    same = registry.run_json("transformer-params", {"kdim": 512, "vdim": 512})
    assert same["qkv_same_embed_dim"] and "in_proj_weight" in same["mha_shapes"]


@pytest.mark.parametrize("params, message", [
    ({"embed_dim": 100, "num_heads": 8}, "not divisible"),
    ({"num_heads": 0}, "out of range"),
])
def test_rejects_invalid_configurations(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json("transformer-params", params)
