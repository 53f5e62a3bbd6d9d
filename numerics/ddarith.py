"""Double-double arithmetic: about 32 significant digits from pairs of float64 numbers.

A double-double number is an unevaluated sum ``hi + lo`` of two float64 numbers with
``|lo| <= ulp(hi) / 2``. Sums and products are built from *error-free transformations*
(Knuth's TwoSum, Dekker's FastTwoSum, Dekker's TwoProd with Veltkamp's split; Python 3.11 and
numba have no fused multiply-add, so the split is the only portable exact product). The unit
roundoff of the format is ``u = 2**-104 ~ 4.9e-32`` for the operations below (accurate
"IEEE-style" addition; Joldes, Muller, Popescu, ACM TOMS 44 (2017)).

Two layers:

* scalar kernels ``two_sum``, ``dd_add``, ``dd_exp``, ... compiled with numba; they take and
  return plain floats (a double-double is two floats) and are what the high-precision gradient
  descent of :mod:`numerics.highprec` calls in its inner loop;
* an array layer (:class:`DDArray` and :func:`add`, :func:`mul`, :func:`exp`, ...) that applies
  the kernels elementwise to NumPy arrays of any shape, plus exact conversion to and from mpmath.

Range: the split overflows for ``|x| > 2**996``; every value that gradient descent on the
logistic loss produces is many orders of magnitude smaller. Full double-double accuracy needs the
trailing parts (and intermediate remainders) to be normal numbers, i.e. magnitudes above ~1e-290;
below, accuracy degrades gracefully to float64's absolute 2**-1074. ``exp`` returns ``inf`` above
``709.78`` and ``0`` below ``-745.2`` (float64's own limits), and is fully accurate for arguments
above ~-670.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
from numba import njit

__all__ = [
    "DDArray",
    "LN2_HI",
    "LN2_LO",
    "LN2_TAIL",
    "UNIT_ROUNDOFF",
    "add",
    "dd_add",
    "dd_add_d",
    "dd_div",
    "dd_div_d",
    "dd_exp",
    "dd_expm1",
    "dd_log1p",
    "dd_mul",
    "dd_mul_d",
    "dd_sigmoid",
    "dd_softplus",
    "dd_sub",
    "div",
    "exp",
    "expm1",
    "fast_two_sum",
    "from_float",
    "from_mpmath",
    "log1p",
    "mul",
    "sigmoid",
    "softplus",
    "split",
    "sub",
    "to_mpmath",
    "two_prod",
    "two_sum",
]

UNIT_ROUNDOFF = 2.0**-104
"""Unit roundoff of double-double arithmetic (106-bit significand, accurate addition)."""

_SPLITTER = 134217729.0  # 2**27 + 1: Veltkamp's constant splits a 53-bit float into 26 + 27 bits

# log(2) as a triple-double; ln2 = LN2_HI + LN2_LO + LN2_TAIL to ~160 bits. Three parts so that
# the argument reduction x - k log 2 of exp keeps full precision for |k| up to 1100 (|x| < 745).
LN2_HI = 0.6931471805599453
LN2_LO = 2.3190468138462996e-17
LN2_TAIL = 5.707708438416212e-34

_EXP_MAX = 709.782712893384  # float64 exp overflows above this
_EXP_MIN = -745.2  # float64 exp underflows to 0 below this
_EXP_HALVINGS = 9  # reduced argument |r| <= log(2)/2 / 2**9 ~ 6.8e-4
_TINY = 1e-150  # below this expm1(x) = log1p(x) = x to far better than double-double precision
_EXP_TAYLOR_TERMS = 11  # (6.8e-4)**12 / 12! ~ 2e-47: Taylor tail far below 2**-104


# --- error-free transformations ----------------------------------------------------------------


@njit(cache=True)
def two_sum(a, b):
    """Knuth's TwoSum: ``s + e == a + b`` exactly, ``s = fl(a + b)``. No condition on a, b."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


@njit(cache=True)
def fast_two_sum(a, b):
    """Dekker's FastTwoSum: ``s + e == a + b`` exactly, valid when ``|a| >= |b|`` (or a == 0)."""
    s = a + b
    e = b - (s - a)
    return s, e


@njit(cache=True)
def split(a):
    """Veltkamp's split: ``a == hi + lo`` with hi, lo of at most 26 significant bits each."""
    c = _SPLITTER * a
    hi = c - (c - a)
    lo = a - hi
    return hi, lo


@njit(cache=True)
def two_prod(a, b):
    """Dekker's TwoProd: ``p + e == a * b`` exactly, ``p = fl(a * b)`` (no FMA needed)."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


# --- double-double kernels (a double-double is the pair hi, lo) --------------------------------


@njit(cache=True)
def dd_add(ah, al, bh, bl):
    """(ah + al) + (bh + bl), accurate addition: relative error <= 3 u (u = 2**-104)."""
    s, e = two_sum(ah, bh)
    t, f = two_sum(al, bl)
    e += t
    s, e = fast_two_sum(s, e)
    e += f
    return fast_two_sum(s, e)


@njit(cache=True)
def dd_sub(ah, al, bh, bl):
    """(ah + al) - (bh + bl), via :func:`dd_add`."""
    return dd_add(ah, al, -bh, -bl)


@njit(cache=True)
def dd_add_d(ah, al, b):
    """(ah + al) + b for a float64 b: relative error <= 2 u."""
    s, e = two_sum(ah, b)
    e += al
    return fast_two_sum(s, e)


@njit(cache=True)
def dd_mul(ah, al, bh, bl):
    """(ah + al) * (bh + bl): relative error <= 5 u."""
    p, e = two_prod(ah, bh)
    e += ah * bl + al * bh
    return fast_two_sum(p, e)


@njit(cache=True)
def dd_mul_d(ah, al, b):
    """(ah + al) * b for a float64 b: relative error <= 3 u."""
    p, e = two_prod(ah, b)
    e += al * b
    return fast_two_sum(p, e)


@njit(cache=True)
def dd_div(ah, al, bh, bl):
    """(ah + al) / (bh + bl) by three long-division steps: relative error ~ 4 u."""
    q1 = ah / bh
    ph, pl = dd_mul_d(bh, bl, q1)
    rh, rl = dd_sub(ah, al, ph, pl)
    q2 = rh / bh
    ph, pl = dd_mul_d(bh, bl, q2)
    rh, rl = dd_sub(rh, rl, ph, pl)
    q3 = rh / bh
    q1, q2 = fast_two_sum(q1, q2)
    return dd_add_d(q1, q2, q3)


@njit(cache=True)
def dd_div_d(ah, al, b):
    """(ah + al) / b for a float64 b: relative error ~ 3 u."""
    q1 = ah / b
    ph, pl = two_prod(q1, b)
    rh, rl = dd_sub(ah, al, ph, pl)
    q2 = rh / b
    ph, pl = two_prod(q2, b)
    rh, rl = dd_sub(rh, rl, ph, pl)
    q3 = rh / b
    q1, q2 = fast_two_sum(q1, q2)
    return dd_add_d(q1, q2, q3)


@njit(cache=True)
def _expm1_small(rh, rl):
    """exp(r) - 1 for |r| <= 7e-4 by Horner on r (1 + r/2 (1 + r/3 (...))), relative error ~ 10 u."""
    sh, sl = 1.0, 0.0
    for n in range(_EXP_TAYLOR_TERMS, 1, -1):
        th, tl = dd_div_d(rh, rl, float(n))
        th, tl = dd_mul(th, tl, sh, sl)
        sh, sl = dd_add_d(th, tl, 1.0)
    return dd_mul(rh, rl, sh, sl)


@njit(cache=True)
def _expm1_reduced(rh, rl):
    """exp(r) - 1 for |r| <= log(2)/2: halve 9 times, Taylor, then e^{2s} - 1 = m (m + 2) 9 times."""
    scale = 2.0**-_EXP_HALVINGS
    mh, ml = _expm1_small(rh * scale, rl * scale)  # scaling by a power of two is exact
    for _ in range(_EXP_HALVINGS):
        ph, pl = dd_add_d(mh, ml, 2.0)
        mh, ml = dd_mul(mh, ml, ph, pl)
    return mh, ml


@njit(cache=True)
def _reduce_ln2(ah, al):
    """k and r with x = k log 2 + r, |r| <= log(2)/2 (Cody-Waite with a triple-double log 2)."""
    k = math.floor(ah / LN2_HI + 0.5)
    p1, e1 = two_prod(k, LN2_HI)  # exact
    p2, e2 = two_prod(k, LN2_LO)  # exact
    rh, rl = dd_sub(ah, al, p1, e1)
    rh, rl = dd_sub(rh, rl, p2, e2)
    rh, rl = dd_add_d(rh, rl, -k * LN2_TAIL)  # k * LN2_TAIL < 1e-30: its rounding is harmless
    return k, rh, rl


@njit(cache=True)
def dd_exp(ah, al):
    """exp(ah + al) to relative error ~ 2e-31 (0 below -745.2, inf above 709.78)."""
    if ah > _EXP_MAX:
        return math.inf, 0.0
    if ah < _EXP_MIN:
        return 0.0, 0.0
    k, rh, rl = _reduce_ln2(ah, al)
    mh, ml = _expm1_reduced(rh, rl)
    eh, el = dd_add_d(mh, ml, 1.0)
    ki = int(k)
    return math.ldexp(eh, ki), math.ldexp(el, ki)


@njit(cache=True)
def dd_expm1(ah, al):
    """exp(x) - 1 with *relative* accuracy ~ 2e-31 also for tiny |x| (no cancellation)."""
    if abs(ah) < _TINY:  # x^2 / 2 is below 1e-150 |x|; also keeps subnormal x out of the 2**-9 scaling
        return ah, al
    if abs(ah) <= 0.5 * LN2_HI:
        return _expm1_reduced(ah, al)
    eh, el = dd_exp(ah, al)
    if eh == math.inf:
        return eh, 0.0
    return dd_add_d(eh, el, -1.0)


@njit(cache=True)
def dd_log1p(ah, al):
    """log(1 + x) for x > -1 by one correction of the float64 value y: y + log1p(c), c = (1 + x) e^{-y} - 1.

    Near x = 0 the step uses ``expm1`` so that tiny x keep full relative precision; away from 0
    it uses ``exp`` on the double-double ``1 + x`` so that x near -1 does too. Returns nan for
    x <= -1 and inf for x = inf.
    """
    if not (ah > -1.0 or (ah == -1.0 and al > 0.0)):
        return math.nan, math.nan
    if ah == math.inf:
        return math.inf, 0.0
    if abs(ah) < _TINY:  # log(1 + x) = x (1 - x/2 + ...): the correction is below 1e-150 |x|
        return ah, al
    if abs(ah) < 0.5:
        y = math.log1p(ah) + al / (1.0 + ah)
        eh, el = dd_expm1(y, 0.0)
        dh, dl = dd_sub(eh, el, ah, al)  # expm1(y) - x: small, the defect of y
        c = dh * math.exp(-y)  # y_true = y + log1p(-c); c ~ 1e-16 |y|, so float64 suffices for c
        return dd_add_d(y, 0.0, -c - 0.5 * c * c)
    oh, ol = dd_add_d(ah, al, 1.0)  # 1 + x exactly represented in double-double
    y = math.log(oh) + ol / oh
    eh, el = dd_exp(-y, 0.0)
    ph, pl = dd_mul(oh, ol, eh, el)  # (1 + x) e^{-y} = 1 + c
    ph, pl = dd_add_d(ph, pl, -1.0)
    c = ph + pl  # y_true = y + log1p(c); |c| <= ulp(y) / |y| ~ 1e-13 for |y| ~ 700: keep c^2 / 2
    return dd_add_d(y, 0.0, c - 0.5 * c * c)


@njit(cache=True)
def dd_sigmoid(ah, al):
    """sigma(x) = 1 / (1 + e^{-x}), evaluated as e^{x} / (1 + e^{x}) for x < 0 so e never overflows."""
    if ah >= 0.0:
        eh, el = dd_exp(-ah, -al)
        dh, dl = dd_add_d(eh, el, 1.0)
        return dd_div(1.0, 0.0, dh, dl)
    eh, el = dd_exp(ah, al)
    dh, dl = dd_add_d(eh, el, 1.0)
    return dd_div(eh, el, dh, dl)


@njit(cache=True)
def dd_softplus(ah, al):
    """log(1 + e^{x}); for x > 0 as x + log1p(e^{-x}) so that e never overflows."""
    if ah > 0.0:
        eh, el = dd_exp(-ah, -al)
        lh, ll = dd_log1p(eh, el)
        return dd_add(ah, al, lh, ll)
    eh, el = dd_exp(ah, al)
    return dd_log1p(eh, el)


# --- array layer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DDArray:
    """An array of double-double numbers ``hi + lo`` (float64 arrays of one shape).

    Attributes:
        hi: leading parts, float64 array.
        lo: trailing parts, float64 array with ``|lo| <= ulp(hi) / 2`` after any operation.
    """

    hi: np.ndarray
    lo: np.ndarray

    def __post_init__(self):
        if self.hi.shape != self.lo.shape:
            raise ValueError(f"`hi` and `lo` must have one shape, got {self.hi.shape} and {self.lo.shape}")

    @property
    def shape(self):
        return self.hi.shape

    def to_float(self) -> np.ndarray:
        """The nearest-ish float64 values ``hi + lo`` (equal to ``hi`` for normalised pairs)."""
        return self.hi + self.lo


def _as_float_array(x, name):
    arr = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got non-finite entries")
    return arr


def from_float(x) -> DDArray:
    """Exact double-double copy of float64 values (lo = 0). Raises ValueError on non-finite input."""
    hi = np.array(_as_float_array(x, "x"), dtype=np.float64)
    return DDArray(hi, np.zeros_like(hi))


def from_mpmath(values, shape=None) -> DDArray:
    """Round mpmath numbers to double-double: ``hi = fl(v)``, ``lo = fl(v - hi)``.

    Args:
        values: an iterable (or nested lists) of mpmath ``mpf`` or anything ``mpf`` accepts.
        shape: optional shape of the result; default the shape of ``np.array(values, object)``.
    """
    obj = np.array(values, dtype=object)
    flat = obj.ravel()
    hi = np.empty(flat.size)
    lo = np.empty(flat.size)
    with mpmath.workprec(4 * 53):  # the difference v - hi is exact at this precision
        for i, v in enumerate(flat):
            v = mpmath.mpf(v)
            hi[i] = float(v)
            lo[i] = float(v - hi[i])
    shape = obj.shape if shape is None else shape
    return DDArray(hi.reshape(shape), lo.reshape(shape))


def to_mpmath(a: DDArray) -> np.ndarray:
    """Exact mpmath values ``hi + lo`` (object array of ``mpf``, computed at 2200 bits)."""
    out = np.empty(a.hi.size, dtype=object)
    with mpmath.workprec(2200):  # hi + lo of any two finite float64 numbers is exact at 2200 bits
        for i, (h, l) in enumerate(zip(a.hi.ravel(), a.lo.ravel())):
            out[i] = mpmath.mpf(float(h)) + mpmath.mpf(float(l))
    return out.reshape(a.hi.shape)


def _binary(kernel):
    @njit(cache=True)
    def loop(ah, al, bh, bl):
        oh = np.empty_like(ah)
        ol = np.empty_like(ah)
        for i in range(ah.size):
            oh[i], ol[i] = kernel(ah[i], al[i], bh[i], bl[i])
        return oh, ol

    def op(a: DDArray, b: DDArray) -> DDArray:
        ah, bh = np.broadcast_arrays(a.hi, b.hi)
        al, bl = np.broadcast_arrays(a.lo, b.lo)
        shape = ah.shape
        flat = [np.ascontiguousarray(v, dtype=np.float64).ravel() for v in (ah, al, bh, bl)]
        oh, ol = loop(*flat)
        return DDArray(oh.reshape(shape), ol.reshape(shape))

    return op


def _unary(kernel):
    @njit(cache=True)
    def loop(ah, al):
        oh = np.empty_like(ah)
        ol = np.empty_like(ah)
        for i in range(ah.size):
            oh[i], ol[i] = kernel(ah[i], al[i])
        return oh, ol

    def op(a: DDArray) -> DDArray:
        shape = a.hi.shape
        oh, ol = loop(np.ascontiguousarray(a.hi).ravel(), np.ascontiguousarray(a.lo).ravel())
        return DDArray(oh.reshape(shape), ol.reshape(shape))

    return op


add = _binary(dd_add)
add.__doc__ = "Elementwise a + b of two :class:`DDArray` (broadcasting); relative error <= 3 u."
sub = _binary(dd_sub)
sub.__doc__ = "Elementwise a - b of two :class:`DDArray` (broadcasting); relative error <= 3 u."
mul = _binary(dd_mul)
mul.__doc__ = "Elementwise a * b of two :class:`DDArray` (broadcasting); relative error <= 5 u."
div = _binary(dd_div)
div.__doc__ = "Elementwise a / b of two :class:`DDArray` (broadcasting); relative error ~ 4 u."
exp = _unary(dd_exp)
exp.__doc__ = "Elementwise exp of a :class:`DDArray`; relative error ~ 2e-31 (see :func:`dd_exp`)."
expm1 = _unary(dd_expm1)
expm1.__doc__ = "Elementwise exp(x) - 1 with relative accuracy for tiny x (see :func:`dd_expm1`)."
log1p = _unary(dd_log1p)
log1p.__doc__ = "Elementwise log(1 + x) for x > -1 (see :func:`dd_log1p`); nan for x <= -1."
sigmoid = _unary(dd_sigmoid)
sigmoid.__doc__ = "Elementwise 1 / (1 + e^{-x}) without overflow (see :func:`dd_sigmoid`)."
softplus = _unary(dd_softplus)
softplus.__doc__ = "Elementwise log(1 + e^{x}) without overflow; the logistic loss is softplus(-u)."
