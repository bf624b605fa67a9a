r"""Arithmetic backends: one protocol for every number type the reduction runs in, and their registry.

The reduction (the elimination kernel :mod:`unicomp.numerics.kernel`, the tree and partition phases, the
finishing step :mod:`unicomp.numerics.finish`) is written once against :class:`Backend`.  A backend owns
its *working arrays* (``Array`` below): numpy float64 arrays (``"float64"``), numpy ``object`` arrays of
arbitrary-precision numbers (``"mpmath"``, ``"flint"``) or torch tensors on a device (``"torch"``).  The
kernel manipulates them through the array namespace :attr:`Backend.xp` (``numpy`` or ``torch``):
elementwise arithmetic, comparisons, ``abs``, ``amax``, ``any``, ``where``, ``argmin``, ``stack``,
``matmul`` and indexing with integer arrays.  Everything that differs between number types is a method.

Contract of each member
-----------------------
``name``
    Registry name (``"float64"``, ``"mpmath"``, ``"flint"``, ``"torch"``).
``digits``
    Decimal digits of an arbitrary-precision backend, ``None`` for hardware floats.
``tolerance``
    Default bound on the relative moment residual (residual / total mass) a result must meet.
``pivot_fraction``
    A null-vector entry below this fraction of the vector's largest entry is round-off and never chosen
    as the pivot (about 500 units in the last place of the working precision).
``xp``
    Array namespace the kernel calls (``numpy`` for numpy and object arrays, ``torch`` for tensors).
``context()``
    Context manager inside which the arithmetic runs at the working precision (mpmath sets
    ``mp.dps`` there and restores it on every exit path).  Every other method is called inside it.
``asarray(values)``
    A numpy array (float64, or ``object`` holding this backend's numbers) as a working array.  Float64
    inputs are converted exactly.
``to_float(values)``
    A working array rounded to a numpy float64 array (on the host).
``to_host(values)``
    A working array as a numpy array without rounding: float64 for hardware floats, ``object`` for
    arbitrary-precision numbers.  Used for the bookkeeping the drivers do on the host.
``features(basis, points)``
    :math:`\Phi(w)` of working-array ``points`` (shape (P, m)) in a
    :class:`~unicomp.numerics.basis.ChebyshevBasis`, shape (P, N_mk), as a working array.
``null_space(matrix)``
    Rank-revealing basis of :math:`\{v : A^\top v = 0\}` for one matrix ``A`` of shape (M, n): shape
    (M, M - rank), the rank decided at the working precision.
``null_vectors(rows, count)``
    Batched: ``count`` null vectors of each ``rows[b].T`` (``rows`` of shape (B, M, n)), shape
    (B, M, count), writable.  Trailing all-zero rows are padding (a real row is never zero: the constant
    feature is 1); the vectors must vanish on them.  A problem with fewer than ``count`` null vectors on
    its real rows gets zero columns for the missing ones (the kernel skips a zero vector).
``group_sums(basis, points, weights, group_size)``
    Weighted feature sums :math:`\sum_{i \in g} c_i \Phi(w_i)` of consecutive groups of ``group_size``
    rows of working-array ``points`` (the last group may be shorter), shape (ceil(P / group_size), N_mk);
    the streamed first round of the recombination (numpy backends use
    :meth:`~unicomp.numerics.basis.ChebyshevBasis.group_sums`, which never forms the feature matrix).
``settle(values)``
    ``values`` as plain floating-point numbers of the working precision: the identity for float64,
    mpmath and torch; a ball-arithmetic backend (flint) drops the radii and keeps the midpoints.  The
    kernel settles the weights and the pivot vector after every step and the later null vectors after
    every block (interval Gaussian elimination would otherwise blow the radii up); the reference moments
    are never settled, so a certified bound stays certified.
``segment_sum(values, segments, count)``
    Sum the rows of ``values`` (shape (P, n)) into ``count`` rows by the numpy int64 ``segments`` (P,).
``arange(count)``
    ``0 .. count-1`` as an integer array of the working array type (same device), for batch indexing.
``column_sums(values)``
    Accurately rounded sums of each column of a 2-D working array, as a list of scalars (Python floats,
    ``mpmath.mpf``, ``flint.arb`` ...).
``null_residual_tolerance(rows)``
    Largest accepted :math:`\max|A^\top v| / (\max|A| \max|v|)` for an updated kernel vector of a
    ``rows``-row matrix before the kernel refactorises.
``lstsq(matrix, rhs)``
    Least-squares (minimum-norm when underdetermined) solution of ``matrix @ x = rhs`` by a backward-stable
    method (QR/SVD); may raise ``ValueError``, ``ZeroDivisionError`` or ``numpy.linalg.LinAlgError`` when
    the system is numerically singular.
``residual_bound(reference, kept, mass)``
    A *certified* upper bound of :math:`\max_e |r_e - s_e| / \text{mass}` from the ``column_sums`` of the
    input (``reference``) and of the result (``kept``), or ``None`` when the backend cannot certify
    (float64, mpmath, torch).  A ball-arithmetic backend returns the upper end of the enclosure.

Registry
--------
:func:`get_backend` maps a name (or ``None``) and a precision to a backend.  ``precision=None`` without a
name gives float64; a precision without a name gives the fastest registered high-precision backend:
``"flint"`` (``FlintBackend(digits)`` in :mod:`unicomp.numerics.flint_backend`) when python-flint is
importable, else ``"mpmath"``.  ``"torch"`` (``TorchBackend(device=...)`` in
:mod:`unicomp.numerics.torch_backend`) is imported only when asked for.  :func:`register_backend` adds
more.
"""


from unicomp.numerics.backends.numpy_backends import Float64Backend, MPMathBackend
from unicomp.numerics.backends.protocol import Array, Backend, NumpyArrayMixin, Scalar, stacked_null_vectors
from unicomp.numerics.backends.registry import available_backends, get_backend, register_backend

__all__ = [
    "Array",
    "Backend",
    "Float64Backend",
    "MPMathBackend",
    "NumpyArrayMixin",
    "Scalar",
    "available_backends",
    "get_backend",
    "register_backend",
    "stacked_null_vectors",
]
