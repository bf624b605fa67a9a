"""Tests of the causal attention layer with weighted heads (paper, App. F; Def. 5 for heads)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from tests.numerics.test_networks import gap_ratio, train_steps
from unicomp.errors import InputError
from unicomp.numerics.attention import (
    CausalAttention,
    apply_head_compression,
    compress_heads,
    random_heads,
)
from unicomp.numerics.networks import to_plain
from unicomp.numerics.training import OPTIMIZERS, TrainConfig, TrainData, paired_runs
from unicomp.verify import check_compression


def _layer(
    heads: int = 6, *, e: int = 1, h: int = 2, o: int = 1, seed: int = 0, **kw: object
) -> CausalAttention:
    torch.manual_seed(seed)
    return CausalAttention(e, heads, h, o, dtype=torch.float64, **kw)  # type: ignore[arg-type]


def _tokens(n: int = 8, t: int = 5, e: int = 1, seed: int = 2) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, t, e, generator=gen, dtype=torch.float64)


def _reference(layer: CausalAttention, x: torch.Tensor) -> torch.Tensor:
    """The defining formula, written as explicit loops over heads and positions."""
    _, h, o = layer.dims
    batch, t, _ = x.shape
    y = torch.zeros(batch, t, o, dtype=x.dtype)
    for i in range(layer.num_heads):
        q, k, v = x @ layer.query[i].T, x @ layer.key[i].T, x @ layer.value[i].T
        for pos in range(t):
            scores = (k[:, : pos + 1] @ q[:, pos, :, None])[..., 0] / math.sqrt(h)
            ctx = (torch.softmax(scores, dim=1)[..., None] * v[:, : pos + 1]).sum(dim=1)
            y[:, pos] += layer.weights[i] * ctx @ layer.out[i].T
    return y


def test_forward_matches_the_defining_formula() -> None:
    layer = _layer(5, e=3, h=2, o=2, weights=[0.5, 1.0, 2.0, 3.0, 0.25])
    x = _tokens(e=3)
    torch.testing.assert_close(layer(x), _reference(layer, x).detach(), rtol=1e-12, atol=1e-13)  # float64


def test_last_readout_and_causality() -> None:
    layer = _layer()
    x = _tokens()
    full = layer(x)
    last = _layer(readout="last")(x)
    torch.testing.assert_close(last, full[:, -1], rtol=1e-12, atol=1e-13)  # same sums, another kernel path
    later = x.clone()
    later[:, 3:] += 1.0
    torch.testing.assert_close(layer(later)[:, :3], full[:, :3], rtol=0, atol=0)  # past ignores the future


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_optimizer_steps_commute_with_permuting_heads(optimizer: str) -> None:
    c = np.random.default_rng(0).uniform(0.3, 3.0, 6)
    layer = _layer().subset(np.arange(6), c)
    perm = np.random.default_rng(1).permutation(6)
    permuted = layer.subset(perm, c[perm])
    x = _tokens(16)
    batch = (x, x[:, :, :1].cumsum(dim=1))
    train_steps(layer, optimizer, batch)
    train_steps(permuted, optimizer, batch)
    rows = torch.as_tensor(perm)
    for name in ("query", "key", "value", "out"):
        # float64; only the order of the sum over heads differs (adaptive optimizers may amplify a last bit)
        want = getattr(layer, name)[rows]
        torch.testing.assert_close(getattr(permuted, name), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rprop"])
def test_weighted_heads_follow_duplicated_heads_exactly(optimizer: str) -> None:
    """Def. 5 for heads: a head of weight n moves exactly like each of its n copies in the original."""
    mult = [1, 3, 2]
    base = _layer(3, readout="last")
    rows = np.repeat(np.arange(3), mult)
    plain, weighted = base.subset(rows), base.subset(np.arange(3), np.asarray(mult, dtype=float))
    x = _tokens(24)
    data = TrainData(x, x[:, :, 0].mean(dim=1, keepdim=True))
    cfg = TrainConfig(optimizer=optimizer, lr=1e-2, epochs=3, batch_size=8, dtype="float64", device="cpu")
    runs = paired_runs({"plain": plain, "weighted": weighted}, data, cfg, probe=x)
    p, w = runs.models["plain"], runs.models["weighted"]
    assert isinstance(p, CausalAttention) and isinstance(w, CausalAttention)
    idx = torch.as_tensor(rows)
    for name in ("query", "key", "value", "out"):
        gap = float((getattr(p, name) - getattr(w, name)[idx]).abs().max().detach())
        assert gap < 1e-10  # float64 rounding of c * q / c only
    assert runs.gap("plain", "weighted")[-1] < 1e-10


def test_head_objects_to_plain_and_dtype() -> None:
    layer = _layer(4, e=1, h=2, o=1, weights=[1.0, 2.0, 3.0, 4.0])
    obj = layer.head_objects()
    assert obj.shape == (4, 8)  # m = h (3e + o) = 8 as in Fig. 7
    np.testing.assert_array_equal(obj[:, 6:], layer.out.detach().reshape(4, 2).numpy())
    x = _tokens()
    torch.testing.assert_close(layer.to_plain()(x), layer(x), rtol=1e-12, atol=1e-13)  # c O rounded once
    f32 = CausalAttention(1, 3, 2, dtype=torch.float32)
    sub = random_heads(f32, 2, seed=1)
    assert sub.num_heads == 2 and sub.weights.dtype == torch.float32 and torch.all(sub.weights == 1)
    assert all(p.dtype == torch.float32 for p in sub.parameters())


def test_apply_head_compression_wires_indices_and_weights() -> None:
    from unicomp import recombine

    layer = _layer(40)
    objects = layer.head_objects()
    comp = recombine(objects, degree=1)
    check_compression(comp, objects)
    sub = apply_head_compression(layer, comp)
    assert sub.num_heads == comp.size <= 9 and sub.compression is comp
    np.testing.assert_array_equal(sub.head_objects(), objects[comp.indices])
    np.testing.assert_allclose(sub.weights.numpy(), comp.weights, rtol=0)


def test_compress_heads_to_a_target_count() -> None:
    layer = _layer(300, readout="last")
    with torch.no_grad():
        for p in layer.parameters():
            p.mul_(0.1)  # head objects in a small ball (radius ~0.1), the regime of Thm 3
    sub = compress_heads(layer, degree=2, heads=100)
    naive = random_heads(layer, 100)
    assert sub.num_heads == 100 and sub.compression is not None
    check_compression(sub.compression, layer.head_objects())
    ratio = gap_ratio(layer, sub, naive, _tokens(64))
    # Thm 3: matching degree-2 moments leaves an O(r^3) remainder against the naive O(r) error; seen
    # ratios 7e-3 and 6e-5 over two seeds, so 0.05 is a loose floor.  (At PyTorch's default scale, m = 8
    # heads with d' ~ 2 N_{8,2} gain only 1.5-10x: see the Fig. 7 experiment.)
    assert ratio < 0.05


def test_bad_layers_and_inputs_are_rejected() -> None:
    with pytest.raises(InputError, match="supported"):
        compress_heads(nn.MultiheadAttention(4, 2), degree=2, heads=1)
    with pytest.raises(InputError, match="shape"):
        _layer()(torch.zeros(2, 3, 4, dtype=torch.float64))
    with pytest.raises(InputError, match="readout"):
        CausalAttention(1, 2, 2, readout="first")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="heads must be at most the number of objects, 4"):
        compress_heads(_layer(4), degree=0, heads=5)
    with pytest.raises(InputError, match="num_heads"):
        CausalAttention(1, 0, 2)


class Block(nn.Module):
    """A model holding an attention layer and another module."""

    def __init__(self, heads: int = 40) -> None:
        super().__init__()
        self.attn = _layer(heads, readout="last")
        self.readout = nn.Linear(1, 1, dtype=torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.readout(self.attn(x))
        return out


def test_compress_heads_of_a_layer_inside_a_model() -> None:
    model = Block().eval()
    model.readout.weight.requires_grad_(False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = torch.random.get_rng_state()
    out = compress_heads(model, layer="attn", degree=1, heads=12)
    naive = random_heads(model, 12, layer="attn")
    assert torch.equal(torch.random.get_rng_state(), state)  # nothing drawn from torch's generator
    layer = out.get_submodule("attn")
    assert isinstance(layer, CausalAttention) and layer.num_heads == 12 and layer.compression is not None
    check_compression(layer.compression, model.attn.head_objects())
    np.testing.assert_array_equal(layer.head_objects(), model.attn.head_objects()[layer.compression.indices])
    assert isinstance(naive.get_submodule("attn"), CausalAttention)
    for copy_ in (out, naive):
        assert not any(m.training for m in copy_.modules())  # regression: subset() returned training mode
        assert not copy_.get_submodule("readout").weight.requires_grad
        torch.testing.assert_close(copy_.get_submodule("readout").weight, model.readout.weight, rtol=0, atol=0)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())  # the input is untouched
    x = _tokens()
    plain = to_plain(out)
    plain_attn = plain.get_submodule("attn")
    assert isinstance(plain_attn, CausalAttention) and torch.all(plain_attn.weights == 1)
    torch.testing.assert_close(plain(x), out(x), rtol=1e-12, atol=1e-13)  # float64, c O rounded once
    with pytest.raises(InputError, match=r"layer 'readout' must be a CausalAttention, got Linear"):
        compress_heads(model, layer="readout", degree=1, heads=12)
    with pytest.raises(InputError, match=r"supported blocks at \['attn'\]: pass layer"):
        compress_heads(model, degree=1, heads=12)
    with pytest.raises(InputError, match=r"heads must be at least N_\(m,k\).* = 9 .*largest feasible degree is 0"):
        compress_heads(model, layer="attn", degree=1, heads=3)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_device_is_preserved() -> None:  # pragma: no cover - GPU only
    layer = CausalAttention(1, 6, 2, device="cuda", dtype=torch.float64)
    sub = random_heads(layer, 3)
    assert sub.weights.device.type == "cuda" and sub.out.device.type == "cuda"
    x = _tokens().cuda()
    torch.testing.assert_close(sub.to_plain()(x), sub(x), rtol=1e-12, atol=1e-13)  # float64, c O rounded once
