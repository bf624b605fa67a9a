"""Tests of weighted two-layer networks: equivariance, the 1/c rule (Def. 5), export, dtype, rejection."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from unicomp import recombine
from unicomp.errors import InputError
from unicomp.numerics.networks import (
    WeightedMLP,
    apply_compression,
    compress_mlp,
    count_parameters,
    neuron_objects,
    random_subnetwork,
    to_plain,
)
from unicomp.numerics.training import OPTIMIZERS, TrainConfig, TrainData, make_optimizer, paired_runs
from unicomp.verify import check_compression


def _net(
    width: int = 12, *, n_in: int = 2, n_out: int = 1, seed: int = 0, dtype: torch.dtype = torch.float64
) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, width), nn.Tanh(), nn.Linear(width, n_out)).to(dtype)


def _layers(seq: nn.Module) -> tuple[nn.Linear, nn.Linear]:
    """The two linear layers of a plain two-layer network (typed for mypy)."""
    assert isinstance(seq, nn.Sequential)
    hidden, output = seq[0], seq[2]
    assert isinstance(hidden, nn.Linear) and isinstance(output, nn.Linear)
    return hidden, output


def _batch(n: int = 16, n_in: int = 2, seed: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, n_in, generator=gen, dtype=torch.float64) * 2 - 1
    return x, torch.cos(2 * x[:, :1]) + x[:, 1:] ** 2


def train_steps(
    model: nn.Module, optimizer: str, batch: tuple[torch.Tensor, torch.Tensor] | None = None, steps: int = 3
) -> None:
    """A few full-batch MSE steps with a named optimizer (lr 1e-2); also used by test_attention."""
    x, y = _batch() if batch is None else batch
    opt = make_optimizer(optimizer, model.parameters(), 1e-2)
    for _ in range(steps):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_optimizer_steps_commute_with_permuting_neurons(optimizer: str) -> None:
    """Lemma 3 / App. C: training a permuted weighted network = permuting the trained one."""
    c = np.random.default_rng(0).uniform(0.3, 3.0, 12)
    net = WeightedMLP.from_plain(_net(), weights=c)
    perm = np.random.default_rng(1).permutation(12)
    permuted = WeightedMLP.from_plain(net, indices=perm, weights=c[perm])
    train_steps(net, optimizer)
    train_steps(permuted, optimizer)
    rows = torch.as_tensor(perm)
    # float64; only the order of the sum over neurons differs, so agreement to ~1e-12 (Adam/RMSprop divide
    # by small second moments, which can amplify a last-bit difference a few hundred times).  Not bit-identical
    # (the permuted 12-term sums round differently; seen <= 7e-16 relative), so rtol=0 would not do.
    pairs = [
        (permuted.hidden.weight, net.hidden.weight[rows]),
        (permuted.hidden.bias, net.hidden.bias[rows]),
        (permuted.output.weight, net.output.weight[:, rows]),
        (permuted.output.bias, net.output.bias),
    ]
    for a, b in pairs:
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_unit_weights_equal_the_plain_network_gradients_included() -> None:
    plain = _net()
    weighted = WeightedMLP.from_plain(plain)
    x, y = _batch()
    out_p, out_w = plain(x), weighted(x)
    # multiplying by 1.0 and dividing by 1.0 is exact
    torch.testing.assert_close(out_w, out_p, rtol=0, atol=0)
    ((out_p - y) ** 2).mean().backward()
    ((out_w - y) ** 2).mean().backward()
    pairs = [(plain[0].weight, weighted.hidden.weight), (plain[0].bias, weighted.hidden.bias),
             (plain[2].weight, weighted.output.weight), (plain[2].bias, weighted.output.bias)]
    for p, q in pairs:
        torch.testing.assert_close(q.grad, p.grad, rtol=0, atol=0)


def test_gradients_are_the_per_neuron_terms() -> None:
    """With the 1/c rule the gradient of neuron j is the original's per-neuron formula (MSE, tanh)."""
    base = _net(5)
    c = torch.tensor([0.5, 1.0, 2.0, 7.0, 30.0], dtype=torch.float64)
    net = WeightedMLP.from_plain(base, weights=c.numpy())
    x, y = _batch()
    out = net(x)
    ((out - y) ** 2).mean().backward()
    hid, outl = _layers(base)
    w, b, v = hid.weight.detach(), hid.bias.detach(), outl.weight.detach()[0]
    z = x @ w.T + b
    dl_dy = 2 * (out.detach()[:, 0] - y[:, 0]) / x.shape[0]
    s = torch.tanh(z)
    ds = 1 - s**2
    grad_v = dl_dy @ s  # sum_b dL/dy_b sigma(z_bj)
    grad_b = v * (dl_dy @ ds)
    grad_w = v[:, None] * ((dl_dy[:, None] * ds).T @ x)
    got = [net.output.weight.grad, net.hidden.bias.grad, net.hidden.weight.grad]
    for g, want in zip(got, [grad_v[None, :], grad_b, grad_w], strict=True):
        torch.testing.assert_close(g, want, rtol=1e-12, atol=1e-14)  # float64, a few roundings (c * q / c)


def _duplicated(mult: list[int], optimizer: str, scale: bool = True) -> tuple[float, float]:
    """Train a plain net whose neuron j appears mult[j] times and the weighted net with c_j = mult[j].

    Returns the largest parameter gap between each copy and its weighted neuron, and the output gap.
    """
    base = _net(len(mult), seed=5)
    rows = np.repeat(np.arange(len(mult)), mult)
    plain = WeightedMLP.from_plain(base, indices=rows).to_plain()
    weighted = WeightedMLP.from_plain(base, weights=np.asarray(mult, dtype=float), scale_gradients=scale)
    x, y = _batch(32)
    cfg = TrainConfig(optimizer=optimizer, lr=1e-2, epochs=4, batch_size=8, dtype="float64", device="cpu")
    runs = paired_runs({"plain": plain, "weighted": weighted}, TrainData(x, y), cfg, probe=x)
    w = runs.models["weighted"]
    assert isinstance(w, WeightedMLP)
    p_hidden, p_output = _layers(runs.models["plain"])
    idx = torch.as_tensor(rows)
    gaps = [
        (p_hidden.weight - w.hidden.weight[idx]).abs().max(),
        (p_hidden.bias - w.hidden.bias[idx]).abs().max(),
        (p_output.weight - w.output.weight[:, idx]).abs().max(),
    ]
    return float(max(gaps).detach()), float(runs.gap("plain", "weighted")[-1])


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_weighted_neurons_follow_duplicated_neurons_exactly(optimizer: str) -> None:
    """Def. 5: a neuron of weight c_j = n moves exactly like each of n identical copies in the original."""
    param_gap, output_gap = _duplicated([1, 2, 3, 4], optimizer)
    # float64; copies and weighted neuron differ by rounding of c * q / c only (seen ~1e-16; 1e-10 is loose)
    assert param_gap < 1e-10
    assert output_gap < 1e-10


@pytest.mark.parametrize(
    ("optimizer", "low", "high"),
    [
        ("sgd", 1e-4, np.inf),  # lr 1e-2, 16 steps: neuron j moves c_j times too far, an O(1e-2) drift
        ("adam", 0.0, 1e-6),  # scale-invariant up to eps = 1e-8 (seen 4e-8)
        ("adamw", 0.0, 1e-6),  # same as Adam: decoupled weight decay does not see the gradient
        ("rmsprop", 0.0, 1e-5),  # scale-invariant up to eps = 1e-8, which enters sqrt(v) earlier (seen 4e-7)
        ("rprop", 0.0, 1e-12),  # sign-based: exactly scale-invariant
    ],
)
def test_without_the_rule(optimizer: str, low: float, high: float) -> None:
    """Def. 5 remark: without 1/c, SGD leaves the original dynamics; Adam-type optimizers cancel c."""
    param_gap, _ = _duplicated([1, 2, 3, 4], optimizer, scale=False)
    assert low <= param_gap < high


def test_to_plain_is_smaller_and_computes_the_same_function() -> None:
    net = _net(50, dtype=torch.float32)
    sub = WeightedMLP.from_plain(net, indices=[1, 7, 20], weights=[10.0, 25.0, 15.0])
    plain = sub.to_plain()
    assert isinstance(plain, nn.Sequential) and plain[0].out_features == 3
    x = _batch()[0].float()
    torch.testing.assert_close(plain(x), sub(x), rtol=1e-6, atol=1e-6)  # float32: c v_j rounded once
    assert count_parameters(plain) == 3 * 2 + 3 + 3 + 1 < count_parameters(net)
    assert all(p.dtype == torch.float32 for p in plain.parameters())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_and_device_preserved_and_input_untouched(dtype: torch.dtype) -> None:
    net = _net(20, dtype=dtype)
    before = copy.deepcopy(net.state_dict())
    sub = random_subnetwork(net, 5, seed=2)
    assert sub.width == 5 and torch.all(sub.weights == 1)
    assert all(p.dtype == dtype and p.device == net[0].weight.device for p in sub.parameters())
    assert sub.weights.dtype == dtype
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    kept = [int(np.flatnonzero((net[0].weight == row).all(dim=1))[0]) for row in sub.hidden.weight]
    assert len(set(kept)) == 5  # a genuine subset of the original neurons, copied exactly


def test_neuron_objects_layout() -> None:
    net = _net(6, n_in=3, n_out=2)
    obj = neuron_objects(net)
    assert obj.shape == (6, 2 + 3 + 1) and obj.dtype == np.float64
    hid, outl = _layers(net)
    np.testing.assert_array_equal(obj[:, :2], outl.weight.detach().numpy().T)
    np.testing.assert_array_equal(obj[:, 2:5], hid.weight.detach().numpy())
    np.testing.assert_array_equal(obj[:, 5], hid.bias.detach().numpy())


def test_apply_compression_from_recombination() -> None:
    """A Tchakaloff reduction of the neurons gives a weighted network whose weighted moments match."""
    net = _net(300, dtype=torch.float32)
    objects = neuron_objects(net)
    comp = recombine(objects, degree=2)
    check_compression(comp, objects)
    sub = apply_compression(net, comp)
    assert sub.width == comp.size <= 15 and sub.compression is comp
    assert sub.weights.dtype == torch.float32
    # first moments of the kept neurons equal the originals' (degree >= 1 is matched).  Both sides are float64
    # (comp.weights; float32 parameters widened exactly), so the recombination's own tolerance, 1e-10 relative
    # to the mass (300 neurons, parameters of size <= 1), bounds the gap (seen 1e-14).
    kept = neuron_objects(sub)
    np.testing.assert_allclose(comp.weights @ kept, objects.sum(axis=0), rtol=0, atol=1e-10 * 300)


def gap_ratio(original: nn.Module, compressed: Any, naive: Any, x: torch.Tensor) -> float:
    """RMS output gap of ``compressed`` over that of ``naive`` rescaled to the same total mass (modifies it)."""
    with torch.no_grad():
        ref = original(x)
        naive.weights.fill_(float(compressed.weights.sum()) / naive.weights.shape[0])
        gap = (compressed(x) - ref).pow(2).mean().sqrt()
        return float(gap / (naive(x) - ref).pow(2).mean().sqrt())


def test_compress_mlp_to_a_target_width() -> None:
    net = _net(400)
    sub = compress_mlp(net, degree=4, width=100, seed=0)
    naive = random_subnetwork(net, 100, seed=0)
    assert sub.width == 100 and sub.compression is not None
    check_compression(sub.compression, neuron_objects(net))
    ratio = gap_ratio(net, sub, naive, _batch(256)[0])
    # Moment matching must beat a rescaled random subset by far (gap ratio seen 0.017-0.066 over init seeds
    # 0-2 with this compressor); ten times is the floor here.
    assert ratio < 0.1


@pytest.mark.parametrize(
    "model",
    [
        nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1)),
        nn.Linear(2, 3),
        nn.Sequential(nn.Linear(2, 4), nn.Softmax(dim=1), nn.Linear(4, 1)),
        nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(4, 1)),
        nn.Sequential(nn.Conv1d(1, 4, 3), nn.ReLU(), nn.Linear(4, 1)),
        "not a model",
    ],
)
def test_unsupported_models_are_rejected(model: object) -> None:
    with pytest.raises(InputError, match=r"supported|do not fit"):
        random_subnetwork(model, 2)  # type: ignore[call-overload]


def test_bad_arguments_are_rejected() -> None:
    net = _net(6)
    with pytest.raises(InputError, match="indices"):
        WeightedMLP.from_plain(net, indices=[0, 6])
    with pytest.raises(InputError, match="weights"):
        WeightedMLP.from_plain(net, indices=[0, 1], weights=[1.0, -1.0])
    with pytest.raises(InputError, match="width must be at most"):  # the argument's own name
        random_subnetwork(net, 7)
    with pytest.raises(InputError, match="one per neuron"):
        WeightedMLP(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), torch.tensor([1.0, 0.0, 1.0]))
    with pytest.raises(InputError, match="width must be at most the number of objects, 6, got 7"):
        compress_mlp(net, degree=1, width=7)
    comp = recombine(np.random.default_rng(0).random((20, 4)), degree=1)
    with pytest.raises(InputError, match="compression"):
        apply_compression(net, comp)


class Encoder(nn.Module):
    """A model with a two-layer block inside it (also used by test_attention and test_hostile_networks)."""

    def __init__(self, width: int = 120, n_in: int = 3, dim: int = 4) -> None:
        super().__init__()
        self.embed = nn.Linear(n_in, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, width), nn.Tanh(), nn.Linear(width, dim))
        self.readout = nn.Linear(dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        return self.readout(h + self.mlp(h))


class Model(nn.Module):
    def __init__(self, width: int = 120) -> None:
        super().__init__()
        self.encoder = Encoder(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.encoder(x)
        return out


def test_compress_a_block_inside_a_model() -> None:
    """layer="encoder.mlp": a copy of the model with that block compressed; everything else identical."""
    torch.manual_seed(0)
    model = Model().double().eval()
    model.encoder.embed.weight.requires_grad_(False)
    before = copy.deepcopy(model.state_dict())
    out = compress_mlp(model, layer="encoder.mlp", degree=2, width=60)
    block = out.get_submodule("encoder.mlp")
    assert isinstance(block, WeightedMLP) and block.width == 60 and block.compression is not None
    check_compression(block.compression, neuron_objects(model.encoder.mlp))
    # the kept neurons are exact copies of the original block's
    np.testing.assert_array_equal(block.neuron_objects(), neuron_objects(model.encoder.mlp)[block.compression.indices])
    # the rest of the model is copied unchanged, the input model is untouched and its block still plain
    rest = {k: v for k, v in out.state_dict().items() if not k.startswith("encoder.mlp.")}
    assert rest.keys() == {k for k in before if not k.startswith("encoder.mlp.")}
    assert all(torch.equal(v, before[k]) for k, v in rest.items())
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert isinstance(model.encoder.mlp, nn.Sequential) and out.encoder is not model.encoder
    # eval mode everywhere, the frozen parameter still frozen, dtype kept
    assert not any(m.training for m in out.modules())
    assert not out.get_submodule("encoder.embed").weight.requires_grad and block.hidden.weight.requires_grad
    assert all(p.dtype == torch.float64 for p in out.parameters())
    x = _batch(64, n_in=3)[0]
    plain = to_plain(out)
    assert isinstance(plain.get_submodule("encoder.mlp"), nn.Sequential)
    assert not any(m.training for m in plain.modules())
    torch.testing.assert_close(plain(x), out(x), rtol=1e-12, atol=1e-13)  # float64, c v rounded once


def test_eval_mode_and_frozen_parameters_are_kept() -> None:
    """Regression: compress_mlp on an eval() model returned modules in training mode."""
    net = _net(40).eval()
    net[2].bias.requires_grad_(False)
    for sub in (compress_mlp(net, degree=1, width=10), random_subnetwork(net, 10)):
        assert not sub.training and not any(m.training for m in sub.modules())
        assert not sub.output.bias.requires_grad and sub.output.weight.requires_grad
        plain = sub.to_plain()
        assert not any(m.training for m in plain.modules())
    assert all(m.training for m in compress_mlp(_net(40), degree=1, width=10).modules())


def test_bad_layer_paths_name_the_path_and_what_was_found() -> None:
    model = Model()
    with pytest.raises(InputError, match=r"'encoder' \(Encoder\) has no submodule 'mlpx'.*'embed', 'mlp'"):
        compress_mlp(model, layer="encoder.mlpx", degree=1, width=10)
    with pytest.raises(InputError, match=r"layer 'encoder.embed' must be a two-layer network, got Linear"):
        compress_mlp(model, layer="encoder.embed", degree=1, width=10)
    with pytest.raises(InputError, match=r"layer must be the dotted path"):
        compress_mlp(model, layer=model.encoder.mlp, degree=1, width=10)  # type: ignore[call-overload]
    with pytest.raises(InputError, match=r"supported blocks at \['encoder.mlp'\]: pass layer"):
        compress_mlp(model, degree=1, width=10)
    with pytest.raises(InputError, match=r"the model \(Model\) has no submodule 'decoder'"):
        random_subnetwork(model, 10, layer="decoder.mlp")


def test_width_follows_the_one_size_rule() -> None:
    """As compress: N_{m,k} <= width <= d; d keeps every neuron, None gives the smallest compression."""
    # m = 1 + 2 + 1 = 4; N_{4,3} = 35 > 30 >= N_{4,2} = 15
    with pytest.raises(InputError, match=r"width must be at least N_\(m,k\).* = 35 .*largest feasible degree is 2"):
        compress_mlp(_net(100), degree=3, width=30)
    net = _net(40)
    x = _batch()[0]
    every = compress_mlp(net, degree=2, width=40)
    assert every.width == 40 and torch.all(every.weights == 1)
    assert every.compression is not None and sorted(every.compression.indices) == list(range(40))
    torch.testing.assert_close(every(x), net(x), rtol=1e-12, atol=1e-14)  # the same neurons (in kept order)
    smallest = compress_mlp(net, degree=2)  # N_{4,2} = 15
    assert smallest.compression is not None and smallest.width <= 15
    check_compression(smallest.compression, neuron_objects(net))


def test_tensors_with_requires_grad_as_indices_and_weights() -> None:
    """Regression: numpy could not convert a tensor that requires grad (RuntimeError)."""
    net = _net(6)
    c = torch.tensor([2.0, 3.0], requires_grad=True)
    sub = WeightedMLP.from_plain(net, indices=torch.tensor([1, 4]), weights=c)
    torch.testing.assert_close(sub.weights, c.detach().double(), rtol=0, atol=0)
    with pytest.raises(InputError, match="scale_gradients"):
        compress_mlp(net, degree=1, width=5, scale_gradients="no")  # type: ignore[call-overload]


def test_torch_global_generator_is_not_advanced() -> None:
    """Regression: the new layers were initialised (then overwritten) with draws from torch's generator."""
    net = _net(40)
    state = torch.random.get_rng_state()
    compress_mlp(net, degree=1, width=10)
    random_subnetwork(net, 10)
    WeightedMLP.from_plain(net).to_plain()
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_device_is_preserved() -> None:  # pragma: no cover - GPU only
    net = _net(20).cuda()
    sub = WeightedMLP.from_plain(net, indices=[0, 5], weights=[3.0, 17.0])
    assert sub.weights.device.type == "cuda" and sub.hidden.weight.device.type == "cuda"
    x = _batch()[0].cuda()
    torch.testing.assert_close(sub.to_plain()(x), sub(x), rtol=1e-12, atol=1e-13)  # float64, c v rounded once


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_block_in_a_model() -> None:  # pragma: no cover - GPU only
    """layer=: the compressed block, the copied rest and the export stay on the GPU."""
    torch.manual_seed(0)
    model = Model().double().cuda().eval()
    out = compress_mlp(model, layer="encoder.mlp", degree=2, width=60)
    assert all(p.device.type == "cuda" for p in out.parameters())
    assert all(b.device.type == "cuda" for b in out.buffers())
    x = _batch(64, n_in=3)[0].cuda()
    torch.testing.assert_close(to_plain(out)(x), out(x), rtol=1e-12, atol=1e-13)  # float64, c v rounded once
