r"""A causal multi-head attention layer whose heads are weighted objects; compress heads (paper, App. F).

One layer of :math:`H` heads of size :math:`h` on tokens :math:`x_1, \dots, x_T \in \mathbb{R}^e`:

.. math::

    y_t = \sum_{i=1}^{H} c_i\, O_i \sum_{s \le t} \operatorname{softmax}_s\!\left(
          \frac{(Q_i x_t) \cdot (K_i x_s)}{\sqrt{h}} \right) V_i x_s \in \mathbb{R}^{o},

with :math:`Q_i, K_i, V_i \in \mathbb{R}^{h \times e}`, :math:`O_i \in \mathbb{R}^{o \times h}`, no biases and
head weights :math:`c_i` (all 1 for an ordinary layer).  The output is a sum over heads, hence symmetric in
the head objects :math:`\theta_i = (Q_i, K_i, V_i, O_i)` flattened to :math:`\mathbb{R}^m`,
:math:`m = h(3e + o)` (Fig. 7: :math:`e = o = 1`, :math:`h = 2`, :math:`m = 8`).  Compressing the heads
(:func:`compress_heads`) keeps :math:`d'` of them with weights :math:`c_j`; the 1/c gradient rule of
Definition 5 is applied inside the layer exactly as in :class:`~unicomp.numerics.networks.WeightedMLP`.
The layer may be the whole model or one block of a bigger one: :func:`compress_heads` and
:func:`random_heads` take ``layer``, its dotted path, and return a copy of the model with that block
replaced (as :func:`~unicomp.numerics.networks.compress_mlp` does for two-layer blocks).

Examples
--------
>>> import torch
>>> from unicomp.numerics.attention import CausalAttention
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<torch._C.Generator object at ...>
>>> layer = CausalAttention(embed_dim=1, num_heads=6, head_dim=2)
>>> layer.head_objects().shape
(6, 8)
>>> x = torch.randn(3, 5, 1)
>>> sub = layer.subset([0, 2], weights=[2.0, 4.0])
>>> bool(torch.allclose(sub(x), sub.to_plain()(x), atol=1e-6))
True
"""

from __future__ import annotations

import math
from typing import Any, Literal, overload

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import skip_init

from unicomp.errors import InputError
from unicomp.numerics.blocks import as_flag, block_name, compress_objects, layer_hint, random_subset, replace_block
from unicomp.numerics.result import Compression
from unicomp.numerics.weighted_mlp import scale_grad
from unicomp.validation import as_index_weights, as_positive_int

__all__ = ["CausalAttention", "apply_head_compression", "compress_heads", "random_heads"]

_SUPPORTED_TEXT = (
    "supported: unicomp.numerics.attention.CausalAttention (one causal multi-head attention layer without "
    "biases); torch.nn.MultiheadAttention, stacked layers and transformer blocks are not supported"
)


class CausalAttention(nn.Module):
    r"""One causal multi-head attention layer with weighted heads.

    Parameters
    ----------
    embed_dim : int
        Token dimension :math:`e`.
    num_heads : int
        Number of heads :math:`H`.
    head_dim : int
        Head size :math:`h`.
    out_dim : int, optional
        Output dimension :math:`o` (default ``embed_dim``).
    readout : {"all", "last"}
        Return every position, shape (B, T, o), or only the last one, shape (B, o) (cheaper: one query).
    weights : array_like, shape (H,), optional
        Head weights :math:`c_i > 0` (default 1); stored as the buffer ``weights``.
    scale_gradients : bool
        Divide head :math:`i`'s gradients by :math:`c_i` (Definition 5).
    device, dtype
        Of the parameters.

    Notes
    -----
    Parameters ``query``, ``key``, ``value`` have shape (H, h, e) and ``out`` (H, o, h).  They are
    initialised like the fused linear maps of a standard layer: :math:`U(\pm e^{-1/2})` for Q, K, V and
    :math:`U(\pm (Hh)^{-1/2})` for O.
    """

    weights: torch.Tensor

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        head_dim: int,
        out_dim: int | None = None,
        *,
        readout: Literal["all", "last"] = "all",
        weights: ArrayLike | None = None,
        scale_gradients: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        e = as_positive_int(embed_dim, "embed_dim")
        heads = as_positive_int(num_heads, "num_heads")
        h = as_positive_int(head_dim, "head_dim")
        o = e if out_dim is None else as_positive_int(out_dim, "out_dim")
        if readout not in ("all", "last"):
            raise InputError(f"readout must be 'all' or 'last', got {readout!r}")
        self.readout = readout
        self.scale_gradients = as_flag(scale_gradients, "scale_gradients")
        self.compression: Compression | None = None
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        bound_in, bound_out = 1 / math.sqrt(e), 1 / math.sqrt(heads * h)
        self.query = nn.Parameter(torch.empty(heads, h, e, **kw).uniform_(-bound_in, bound_in))
        self.key = nn.Parameter(torch.empty(heads, h, e, **kw).uniform_(-bound_in, bound_in))
        self.value = nn.Parameter(torch.empty(heads, h, e, **kw).uniform_(-bound_in, bound_in))
        self.out = nn.Parameter(torch.empty(heads, o, h, **kw).uniform_(-bound_out, bound_out))
        _, c = as_index_weights(np.arange(heads), weights, heads)
        self.register_buffer("weights", torch.as_tensor(c).to(device=self.out.device, dtype=self.out.dtype))

    @property
    def num_heads(self) -> int:
        """Number of heads :math:`H`."""
        return int(self.query.shape[0])

    @property
    def dims(self) -> tuple[int, int, int]:
        """``(embed_dim, head_dim, out_dim)``."""
        return int(self.query.shape[2]), int(self.query.shape[1]), int(self.out.shape[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layer to ``x``, shape (B, T, e); returns (B, T, o), or (B, o) with ``readout="last"``."""
        e = self.dims[0]
        if x.ndim != 3 or x.shape[2] != e:
            raise InputError(f"x must have shape (batch, tokens, {e}), got {tuple(x.shape)}")
        params: tuple[torch.Tensor, ...] = (self.query, self.key, self.value, self.out)
        c = self.weights
        if self.scale_gradients:
            inv = (1.0 / c)[:, None, None]
            params = tuple(scale_grad(p, inv) for p in params)
        q, k, v, o = params
        last = self.readout == "last"
        queries = torch.einsum("bte,hde->bhtd", x[:, -1:] if last else x, q)
        keys = torch.einsum("bte,hde->bhtd", x, k)
        values = torch.einsum("bte,hde->bhtd", x, v)
        # The last position attends to every token, so it needs no mask.
        context = F.scaled_dot_product_attention(queries, keys, values, is_causal=not last)
        y = torch.einsum("bhtd,hod->bto", context, o * c[:, None, None])
        return y[:, 0] if last else y

    def head_objects(self) -> NDArray[np.float64]:
        r"""Heads as objects :math:`(Q_i, K_i, V_i, O_i)` flattened, shape (H, h(3e + o)), float64."""
        parts = [p.detach().reshape(self.num_heads, -1) for p in (self.query, self.key, self.value, self.out)]
        return torch.cat(parts, dim=1).to("cpu", torch.float64).numpy()

    def subset(
        self,
        indices: ArrayLike,
        weights: ArrayLike | None = None,
        *,
        scale_gradients: bool | None = None,
        compression: Compression | None = None,
    ) -> CausalAttention:
        """A new layer with heads ``indices`` (copied) and head weights ``weights`` (default 1).

        The parameters keep their dtype, device and ``requires_grad`` flags, the layer its train/eval mode;
        ``indices`` and ``weights`` may be torch tensors.
        """
        idx, c = as_index_weights(indices, weights, self.num_heads)
        e, h, o = self.dims
        scale = self.scale_gradients if scale_gradients is None else scale_gradients
        # skip_init: every parameter and the weights are overwritten below, so nothing is drawn from
        # torch's global generator
        new = skip_init(
            CausalAttention, e, idx.size, h, o, readout=self.readout, weights=c, scale_gradients=scale,
            device=self.out.device, dtype=self.out.dtype,
        )
        rows = torch.as_tensor(idx, device=self.out.device)
        with torch.no_grad():
            new.weights.copy_(torch.as_tensor(c))
            for name in ("query", "key", "value", "out"):
                getattr(new, name).copy_(getattr(self, name)[rows])
                getattr(new, name).requires_grad_(getattr(self, name).requires_grad)
        new.compression = compression
        new.training = self.training
        return new

    def to_plain(self) -> CausalAttention:
        r"""The same function with unit head weights: :math:`O_i \leftarrow c_i O_i`."""
        plain = self.subset(np.arange(self.num_heads))
        with torch.no_grad():
            plain.out.mul_(self.weights[:, None, None])
        return plain

    def extra_repr(self) -> str:
        e, h, o = self.dims
        return f"embed_dim={e}, num_heads={self.num_heads}, head_dim={h}, out_dim={o}, readout={self.readout}"


def _check_layer(layer: Any, name: str = "layer") -> CausalAttention:
    if not isinstance(layer, CausalAttention):
        hint = layer_hint(layer, lambda m: isinstance(m, CausalAttention)) if name == "model" else ""
        raise InputError(f"{name} must be a CausalAttention, got {type(layer).__name__}; {_SUPPORTED_TEXT}{hint}")
    return layer


def apply_head_compression(
    layer: CausalAttention, compression: Compression, *, scale_gradients: bool = True
) -> CausalAttention:
    """The layer of ``layer``'s heads kept by ``compression``, weighted by its weights."""
    layer = _check_layer(layer)
    if not isinstance(compression, Compression) or compression.n_input != layer.num_heads:
        raise InputError(f"compression must be a Compression of the layer's {layer.num_heads} heads")
    return layer.subset(
        compression.indices, compression.weights, scale_gradients=scale_gradients, compression=compression
    )


@overload
def compress_heads(
    model: nn.Module, *, degree: int, heads: int | None = None, layer: None = None, method: str = "partition",
    seed: int | np.random.Generator = 0, precision: int | None = None, scale_gradients: bool = True,
) -> CausalAttention: ...


@overload
def compress_heads(
    model: nn.Module, *, degree: int, heads: int | None = None, layer: str, method: str = "partition",
    seed: int | np.random.Generator = 0, precision: int | None = None, scale_gradients: bool = True,
) -> nn.Module: ...


def compress_heads(
    model: nn.Module,
    *,
    degree: int,
    heads: int | None = None,
    layer: str | None = None,
    method: str = "partition",
    seed: int | np.random.Generator = 0,
    precision: int | None = None,
    scale_gradients: bool = True,
) -> nn.Module:
    r"""Compress the heads of an attention layer to ``heads`` weighted heads (Algorithm 1 on the head objects).

    ``model`` is the :class:`CausalAttention` itself, or with ``layer`` (a dotted path such as
    ``"encoder.attn"``) any module holding one; then a copy of ``model`` with that block replaced is
    returned (read it back with ``model.get_submodule(layer)``).  The layer's own head weights are the
    measure compressed, so a compressed layer can be compressed again.  The new layer keeps dtype, device,
    readout, ``requires_grad`` flags and train/eval mode and has ``compression`` set; ``model`` is not
    modified.  Errors name the path and what was found there; ``heads`` follows the one size rule
    (:func:`~unicomp.validation.as_size`): in :math:`[N_{m,k}, H]` (``H`` keeps every head), ``None``
    (default) for the smallest compression, at most :math:`N_{m,k}` heads.
    """
    flag = as_flag(scale_gradients, "scale_gradients")

    def build(block: nn.Module) -> nn.Module:
        attn = _check_layer(block, block_name(layer))
        weights = attn.weights.detach().to("cpu", torch.float64).numpy()
        comp = compress_objects(
            attn.head_objects(), weights, degree=degree, size=heads, method=method, seed=seed,
            precision=precision, name="heads",
        )
        return apply_head_compression(attn, comp, scale_gradients=flag)

    return replace_block(model, layer, build)


@overload
def random_heads(
    model: nn.Module, heads: int, *, layer: None = None, seed: int | np.random.Generator = 0
) -> CausalAttention: ...


@overload
def random_heads(
    model: nn.Module, heads: int, *, layer: str, seed: int | np.random.Generator = 0
) -> nn.Module: ...


def random_heads(
    model: nn.Module, heads: int, *, layer: str | None = None, seed: int | np.random.Generator = 0
) -> nn.Module:
    """The naive baseline: ``heads`` random heads with weights 1 (not rescaled); ``layer`` as in
    :func:`compress_heads`."""

    def build(block: nn.Module) -> nn.Module:
        attn = _check_layer(block, block_name(layer))
        return attn.subset(random_subset(attn.num_heads, heads, seed, "heads"))

    return replace_block(model, layer, build)
