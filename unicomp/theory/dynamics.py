r"""Compressed training dynamics, derived symbolically (Def. 5 and Lemma 3 of the paper).

A two-layer network :math:`f(x) = \sum_{i=1}^n g(\theta_i, x)` with neurons
:math:`g(\theta, x) = v\, \sigma(w x + b)` trained on :math:`L = \frac1B \sum_b \ell(f(x_b), y_b)` updates
every neuron by the same map of its own parameters and the network's outputs:

.. math::

    \frac{\partial L}{\partial \theta_i}
      = \Phi(\theta_i; f(x_1), \dots, f(x_B)), \qquad
    \Phi(\theta; F) = \frac1B \sum_b \partial_1 \ell(F_b, y_b)\, \partial_\theta g(\theta, x_b) .

The compressed network :math:`f_c(x) = \sum_j c_j g(\theta_j, x)` has
:math:`\partial L_c / \partial \theta_j = c_j\, \Phi(\theta_j; f_c(x_1), \dots)`, so dividing neuron
:math:`j`'s gradient by :math:`c_j` (a per-neuron learning rate :math:`\eta / c_j`) applies the original
per-neuron map: GD and SGD (any batch, the same batch sequence for both runs) then evolve the compressed
network by the original rule.  Adam normalises the gradient: scaling a neuron's gradients by :math:`c > 0`
scales both moment estimates, and the update with :math:`\epsilon` equals the unscaled update with
:math:`\epsilon / c` -- unchanged up to :math:`\epsilon`.

:func:`gradient_scaling` and :func:`adam_invariance` carry out these derivations with sympy (``sigma`` and
``ell`` undefined functions, so nothing depends on a particular activation or loss) and report whether each
identity holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from unicomp.errors import InputError
from unicomp.validation import as_positive_int

__all__ = ["Derivation", "adam_invariance", "gradient_scaling"]


@dataclass(frozen=True)
class Derivation:
    """A symbolic derivation: labelled steps and whether every identity checked holds exactly.

    Attributes
    ----------
    statement : str
        What was shown.
    steps : tuple of (str, sympy.Basic)
        Labelled intermediate expressions.
    checks : tuple of (str, bool)
        Each identity checked by sympy (``simplify(lhs - rhs) == 0``) and its outcome.
    """

    statement: str
    steps: tuple[tuple[str, sp.Basic], ...]
    checks: tuple[tuple[str, bool], ...]

    @property
    def verified(self) -> bool:
        """All checks hold."""
        return all(ok for _, ok in self.checks)


def gradient_scaling(n_neurons: int = 3, batch: int = 2) -> Derivation:
    r"""Dividing neuron :math:`j`'s gradient by :math:`c_j` reproduces the original per-neuron update.

    Parameters
    ----------
    n_neurons : int
        Width of the symbolic network (at least 2).
    batch : int
        Number of samples in the (mini-)batch.

    Returns
    -------
    Derivation
        Checks: the original gradient of neuron 0 depends only on its own parameters and the network
        outputs (Lemma 3's :math:`T(w_i, p)` form); for every compressed neuron :math:`j`,
        :math:`c_j^{-1} \partial L_c / \partial \theta_j = \Phi(\theta_j; f_c)` for each parameter; the
        undivided gradient is :math:`c_j` times it.

    Examples
    --------
    >>> gradient_scaling(2, 1).verified
    True
    """
    n = as_positive_int(n_neurons, "n_neurons")
    if n < 2:
        raise InputError(f"n_neurons must be at least 2, got {n}")
    nb = as_positive_int(batch, "batch")
    xs, ys = sp.symbols(f"x0:{nb}"), sp.symbols(f"y0:{nb}")
    params = [sp.symbols(f"v{i} w{i} b{i}") for i in range(n)]
    c = sp.symbols(f"c0:{n}", positive=True)
    outputs = sp.symbols(f"F0:{nb}")
    sigma, ell = sp.Function("sigma"), sp.Function("ell")

    def neuron(i: int, x: sp.Symbol) -> sp.Expr:
        v, w, b = params[i]
        return v * sigma(w * x + b)

    net = [sp.Add(*(neuron(i, x) for i in range(n))) for x in xs]
    net_c = [sp.Add(*(c[i] * neuron(i, x) for i in range(n))) for x in xs]
    loss = sp.Add(*(ell(fx, y) for fx, y in zip(net, ys, strict=True))) / nb
    loss_c = sp.Add(*(ell(fx, y) for fx, y in zip(net_c, ys, strict=True))) / nb
    own = set(params[0]) | set(xs) | set(ys) | set(outputs)
    steps: list[tuple[str, sp.Basic]] = [("loss", loss), ("compressed loss", loss_c)]
    checks: list[tuple[str, bool]] = []
    for a, name in enumerate(("v", "w", "b")):
        # The per-neuron map Phi: neuron 0's gradient with the network outputs named F_b.
        phi = sp.diff(loss, params[0][a]).xreplace(dict(zip(net, outputs, strict=True)))
        steps.append((f"Phi for d/d{name}", phi))
        checks.append((f"Phi_{name} depends on neuron 0 and the outputs only", phi.free_symbols <= own))
        for j in range(n):
            grad_c = sp.diff(loss_c, params[j][a])
            rename = dict(zip(params[0], params[j], strict=True))
            target = phi.xreplace(rename).xreplace(dict(zip(outputs, net_c, strict=True)))
            checks.append((f"dL_c/d{name}{j} / c{j} == Phi_{name}(theta_{j}; f_c)", _same(grad_c / c[j], target)))
            checks.append((f"dL_c/d{name}{j} == c{j} Phi_{name}(theta_{j}; f_c)", _same(grad_c, c[j] * target)))
    return Derivation(
        statement=(
            "For f_c = sum_j c_j g(theta_j, .), dividing neuron j's gradient by c_j gives the original network's "
            "per-neuron gradient map evaluated at theta_j and the compressed outputs (GD, and SGD on any batch)."
        ),
        steps=tuple(steps),
        checks=tuple(checks),
    )


def _same(lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """Exact equality: the numerator of ``lhs - rhs`` over a common denominator expands to zero."""
    return bool(sp.expand(sp.numer(sp.together(lhs - rhs))) == 0)


def adam_invariance(steps: int = 3) -> Derivation:
    r"""Adam's update is unchanged, up to :math:`\epsilon`, when a neuron's gradients are scaled by :math:`c > 0`.

    Parameters
    ----------
    steps : int
        Number of Adam steps, with symbolic gradients :math:`g_1, \dots, g_T`.

    Returns
    -------
    Derivation
        Checks, at every step :math:`t`: :math:`u_t(c\, g; \epsilon) = u_t(g; \epsilon / c)` exactly, and
        :math:`u_t(c\, g; \epsilon) - u_t(g; \epsilon) \to 0` as :math:`\epsilon \to 0`.

    Notes
    -----
    With :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`, :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`,
    :math:`u_t = \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)`: scaling :math:`g \to c g` gives
    :math:`\hat m \to c \hat m`, :math:`\sqrt{\hat v} \to c \sqrt{\hat v}`, so
    :math:`u_t \to \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon / c)`.

    Examples
    --------
    >>> adam_invariance(2).verified
    True
    """
    n_steps = as_positive_int(steps, "steps")
    grads = sp.symbols(f"g1:{n_steps + 1}", real=True)
    c, eps, lr = sp.symbols("c epsilon eta", positive=True)
    beta1, beta2 = sp.symbols("beta1 beta2", positive=True)

    def updates(scale: sp.Expr, epsilon: sp.Expr) -> list[sp.Expr]:
        m1 = v1 = sp.S.Zero
        out = []
        for t, g in enumerate(grads, start=1):
            m1 = beta1 * m1 + (1 - beta1) * scale * g
            v1 = beta2 * v1 + (1 - beta2) * (scale * g) ** 2
            # factor() pulls c**2 out of the second moment, so sqrt gives c * sqrt(...) (c > 0).
            out.append(lr * (m1 / (1 - beta1**t)) / (sp.sqrt(sp.factor(v1 / (1 - beta2**t))) + epsilon))
        return out

    scaled, rescaled_eps, plain = updates(c, eps), updates(sp.S.One, eps / c), updates(sp.S.One, eps)
    checks: list[tuple[str, bool]] = []
    result_steps: list[tuple[str, sp.Basic]] = []
    for t in range(n_steps):
        result_steps.append((f"u_{t + 1}(c g; eps)", scaled[t]))
        checks.append((f"u_{t + 1}(c g; eps) == u_{t + 1}(g; eps/c)", _same(scaled[t], rescaled_eps[t])))
        # Both updates are continuous at eps = 0 (the second moment is positive for non-zero gradients).
        gap = (scaled[t] - plain[t]).subs(eps, 0)
        checks.append((f"u_{t + 1}(c g; eps) - u_{t + 1}(g; eps) -> 0 as eps -> 0", _same(gap, sp.S.Zero)))
    return Derivation(
        statement=(
            "Scaling a neuron's gradients by c > 0 changes Adam's update only through epsilon -> epsilon / c; "
            "the 1/c gradient scaling of compressed dynamics is therefore immaterial for Adam up to epsilon."
        ),
        steps=tuple(result_steps),
        checks=tuple(checks),
    )
