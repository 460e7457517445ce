"""Columnar backend: a batch of søknader as NumPy columns, every rule as array operations.

It is generated from the same checked model as `compiler` and `interpreter` and gives the
same decisions to the øre, row by row:

- numbers are exact scaled integers (`value = data / 10**scale`, int64): sums, products,
  comparisons and every `avrund` are integer operations;
- a division (or a fraction such as 10/12) stays an exact fraction until it is rounded; where
  it is used unrounded and its decimal expansion does not terminate, the row falls back;
- `nåverdi` and `annuitet` are float64 with the factor computed once per rate and term; their
  rounding is exact except within a guard band of a rounding boundary, where the row's value
  is recomputed with the Decimal runtime (`rechecked`);
- a row the arrays cannot decide exactly (a missing fact it needs, an error such as a date
  before a parameter's first value, an amount too large for int64, an inexact fraction) is
  decided by the Decimal backend instead (`fallback`), and counted.

The guard band: the float64 value of P·f (f computed in Decimal and rounded once to float)
differs from the Decimal result by at most a few ulp, below 1e-15 relative; a row is re-checked
when it lies within 1e-12 relative (plus 1e-9 absolute) of a boundary, a margin of 1000×.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import math
from decimal import Decimal, localcontext
from typing import Any, Callable

import attrs
import numpy as np

from boligregler.diagnostics import format_path
from boligregler.evaluation import heap, runtime
from boligregler.evaluation.runtime import Unassessed
from boligregler.evaluation.soknad import unassessed
from boligregler.evaluation.values import Ratio
from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy, SchemeDef
from boligregler.money import CONTEXT
from boligregler.syntax import ast

RESULTS = ("oppfylt", "ikke_oppfylt", "unntak", "ikke_relevant", "ikke_vurdert")
OPPFYLT, IKKE_OPPFYLT, UNNTAK, IKKE_RELEVANT = range(4)
MAX_MONEY_ORE = 10**13  # 100 000 000 000 kr: larger amounts fall back to the Decimal backend
MAX_INTEGER = 10**9
SAFE = 2**62
REL_BAND = 1e-12
ABS_BAND = 1e-9
EPOCH = dt.date(1970, 1, 1).toordinal()


class Unsupported(Exception):
    """The policy uses something this backend does not vectorise; the whole batch falls back."""


# ---- values --------------------------------------------------------------------------------
# `bad` is None or a boolean array: rows (or list elements) whose value the arrays cannot give.


def _ndim(x) -> int:
    """`np.ndim`, without its dispatch for the arrays and integers the backend holds."""
    if type(x) is np.ndarray:
        return x.ndim
    return 0 if isinstance(x, (int, np.generic)) else np.ndim(x)


def _or(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def _sel(cond, a, b):
    """Bad mask of `a if cond else b` (None when no row is bad)."""
    if a is None and b is None:
        return None
    if a is None:
        m = np.logical_and(np.logical_not(cond), b)
    elif b is None:
        m = np.logical_and(cond, a)
    else:
        m = _either(cond, a, b)
    return _mask(m)


def _either(cond, a, b):
    """Booleans: `a` where `cond` holds, else `b`; logical operations, far faster than np.where with a
    condition that varies from row to row."""
    return np.logical_or(np.logical_and(cond, a), np.logical_and(np.logical_not(cond), b))


def _and_mask(cond, mask):
    return None if mask is None else _mask(np.logical_and(cond, mask))


@attrs.define(slots=True)
class Num:
    data: Any  # int64 array or Python int
    scale: int
    bad: Any = None
    bound: int = SAFE  # max |data| (statically known), for overflow checks


@attrs.define(slots=True)
class Rat:
    """An exact fraction num / den / 10**scale with den > 0.

    `inexact` marks rows whose value has no finite decimal expansion somewhere on its way, so
    the Decimal backend holds it rounded to 34 digits: it agrees with the fraction on every
    comparison and rounding except exactly at a boundary, and there the row falls back.
    """

    num: Any
    den: Any
    scale: int
    bad: Any = None
    inexact: Any = None
    bound: int = -1  # max |num| when known statically (-1: measured when needed, see `_nbound`)
    dbound: int = -1  # max den likewise


def _nbound(r: Rat) -> int:
    if r.bound < 0:
        r.bound = _bound_of(r.num)
    return r.bound


def _dbound(r: Rat) -> int:
    if r.dbound < 0:
        r.dbound = _bound_of(r.den)
    return r.dbound


def _min_den(den) -> int:
    """A lower bound of a denominator (always ≥ 1)."""
    return int(den) if _ndim(den) == 0 else 1


@attrs.define(slots=True)
class Approx:
    """A float64 value `raw · factor` (or `raw · factor[key]`, a factor per row from a table) whose
    exact Decimal value `exact(rows)` can be recomputed for some rows."""

    raw: Any
    factor: Any
    key: Any
    exact: Callable[[np.ndarray], list]
    bad: Any = None
    inexact: Any = None  # rows whose exact Decimal value cannot be recomputed (see Rat)

    def times(self, c: float):
        """The value times `c`: the constant is folded into the factor, so one pass over the rows (two with a key)."""
        if self.key is None:
            return self.raw * (self.factor * c)
        per_row = np.take(self.factor * c, self.key)
        if np.shape(per_row) != np.broadcast_shapes(np.shape(per_row), np.shape(self.raw)):
            return self.raw * per_row
        per_row *= self.raw
        return per_row


@attrs.define(slots=True)
class Bool:
    data: Any
    bad: Any = None


@attrs.define(slots=True)
class Cat:
    """An enum or text value: codes into `values`."""

    data: Any
    values: tuple
    bad: Any = None


@attrs.define(slots=True)
class Day:
    data: Any  # days since 1970-01-01
    bad: Any = None


@attrs.define(slots=True)
class Sets:
    """A set of texts per row: `sets[index]`."""

    sets: tuple
    index: Any
    bad: Any = None


@attrs.define(slots=True)
class Frac:
    """A dated fraction parameter (10/12): numerator and denominator as scaled integers."""

    num: Num
    den: Num
    bad: Any = None


@attrs.define(slots=True)
class Field:
    value: Any
    missing: Any = None  # rows where the (nullable) fact is `ingen`


@attrs.define(slots=True)
class Rec:
    fields: dict
    parent: Any = None  # when set: a row-level record seen from list elements

    def get(self, name: str) -> Field:
        f = self.fields[name]
        return f if self.parent is None else Field(lift(f.value, self.parent), _take(f.missing, self.parent))


@attrs.define(slots=True)
class Lst:
    offsets: np.ndarray
    element: Rec  # fields over all elements of the batch
    bad: Any = None
    _parent: Any = None

    @property
    def parent(self) -> np.ndarray:
        if self._parent is None:
            # a 1 where each row's elements start, summed: the row of every element (far faster than np.repeat)
            starts = np.bincount(self.offsets[1:-1], minlength=int(self.offsets[-1]) + 1)[:-1]
            self._parent = np.cumsum(starts, out=starts)
        return self._parent

    @property
    def shape(self) -> tuple[int]:
        """The shape of the element columns."""
        return (int(self.offsets[-1]),)


def _uniform(v) -> bool:
    """Whether a value is the same on every row (no array in it), so it needs no lifting into a list."""
    if isinstance(v, (Rec, Lst)):
        return False
    if isinstance(v, Frac):
        return _uniform(v.num) and _uniform(v.den) and _ndim(v.bad) == 0
    return all(_ndim(getattr(v, f.name)) == 0 for f in attrs.fields(type(v)) if f.name not in ("values", "sets"))


def _take(a, idx):
    return a[idx] if isinstance(a, np.ndarray) and a.ndim else a


def lift(v, parent):
    """A row-level value seen from list elements (`parent[i]` is the row of element i)."""
    match v:
        case Num():
            return Num(_take(v.data, parent), v.scale, _take(v.bad, parent), v.bound)
        case Rat():
            return Rat(_take(v.num, parent), _take(v.den, parent), v.scale, _take(v.bad, parent),
                       _take(v.inexact, parent), v.bound, v.dbound)
        case Bool():
            return Bool(_take(v.data, parent), _take(v.bad, parent))
        case Cat():
            return Cat(_take(v.data, parent), v.values, _take(v.bad, parent))
        case Day():
            return Day(_take(v.data, parent), _take(v.bad, parent))
        case Sets():
            return Sets(v.sets, _take(v.index, parent), _take(v.bad, parent))
        case Frac():
            return Frac(lift(v.num, parent), lift(v.den, parent), _take(v.bad, parent))
        case Rec():
            return Rec(v.fields, parent if v.parent is None else v.parent[parent])
    raise Unsupported("en liste inne i en liste")


def decimal_num(d: Decimal) -> Num:
    """A Decimal constant as a scaled integer with the smallest scale that holds it exactly."""
    data, scale = _decimal_parts(d)
    return Num(data, scale, None, abs(data))


@functools.lru_cache(maxsize=4096)
def _decimal_parts(d: Decimal) -> tuple[int, int]:
    sign, digits, exp = d.as_tuple()
    scale = max(0, -exp)
    data = int(d.scaleb(scale))
    while scale and data % 10 == 0:
        data //= 10
        scale -= 1
    return data, scale


def _pow10(k: int) -> int:
    return 10**k


def _scaled(v: Num, scale: int, out=None) -> Num:
    """`v` at a larger scale, marking rows that would overflow; the product is written into `out` when given
    (`v` itself when the scale is its own)."""
    if scale == v.scale:
        return v
    f = _pow10(scale - v.scale)
    data, risk = _checked_mul(v.data, f, v.bound * f, out)
    return Num(data, scale, _or(v.bad, risk), _new_bound(data, v.bound * f))


# The last operation of a value written into `out` when one is given (a slice of the result arrays), else a
# new array as the operator gives it (Python integers stay Python integers).

def _mul(a, b, out):
    return a * b if out is None else np.multiply(a, b, out=out)


def _fdiv(a, b, out):
    return a // b if out is None else np.floor_divide(a, b, out=out)


def _add(a, b, out):
    return a + b if out is None else np.add(a, b, out=out)


def _risk(magnitude) -> Any:
    m = magnitude >= SAFE
    return m if isinstance(m, np.ndarray) else (np.bool_(m) if m else None)


# ---- overflow ------------------------------------------------------------------------------
# A value fixed for the batch is a Python integer and exact at any size; an array is int64. Where the two
# meet, or two arrays, an operation whose static bound reaches SAFE (2**62) estimates each row's magnitude
# in float64 (relative error far below the factor 2 to int64's limit) and marks the rows that may not fit;
# those rows hold 0 and are decided by the Decimal backend. A constant beyond int64 counts as 0 where it
# meets an array, on the rows it is read in (`_fit`).

INT64 = 1 << 63


def _huge(x) -> bool:
    """A Python integer no int64 array can hold (a value fixed for the batch)."""
    return type(x) is int and not -INT64 <= x < INT64


def _both_fixed(a, b) -> bool:
    return _ndim(a) == 0 and _ndim(b) == 0


def _new_bound(data, bound: int) -> int:
    """The bound of a result: exact for a value fixed for the batch, else the static bound (at most SAFE)."""
    return abs(int(data)) if _ndim(data) == 0 else min(bound, SAFE)


def _checked_mul(a, b, bound: int, out=None):
    """a · b (into `out` when given) and the rows where it may not fit int64 (None when none can): two values
    fixed for the batch multiply as Python integers; a product whose static bound is below SAFE needs no check."""
    huge = _huge(a) or _huge(b)
    if bound < SAFE and not huge:
        return _mul(a, b, out), None
    if _both_fixed(a, b):
        return int(a) * int(b), None
    mag = _fabs(a) * _fabs(b)
    risk = _risk(mag)
    if risk is None and not huge:
        return _mul(a, b, out), None
    keep = np.logical_not(mag >= SAFE)
    # 0 on the rows at risk: zero the array factor (a constant beyond int64 meets only zeros where it fits)
    if _ndim(a):
        a = np.where(keep, a, 0)
        b = 0 if _huge(b) else b
    else:
        b = np.where(keep, b, 0)
        a = 0 if _huge(a) else a
    return _mul(a, b, out), risk


def _fit(v: "Num") -> "Num":
    """`v` as something an array operation can take: a constant beyond int64 becomes 0, bad wherever it is read."""
    if _huge(v.data):
        return Num(0, v.scale, np.bool_(True), 0)
    return v


def _sum_risk(a, b, bound: int):
    """a and b (int64 arrays or integers) ready to be added or subtracted, and the rows where the result may
    not fit int64; on those rows the arrays hold 0, and a constant beyond int64 (then every row) is 0."""
    if bound < SAFE or _both_fixed(a, b):
        return a, b, None
    mag = _fabs(a) + _fabs(b)
    risk = _risk(mag)
    if risk is None:
        return a, b, None
    keep = mag < SAFE
    a = 0 if _huge(a) else (np.where(keep, a, 0) if _ndim(a) else a)
    b = 0 if _huge(b) else (np.where(keep, b, 0) if _ndim(b) else b)
    return a, b, risk


def _align(a: Num, b: Num) -> tuple[Num, Num]:
    s = max(a.scale, b.scale)
    return _scaled(a, s), _scaled(b, s)


def _twos_and_fives(n: int) -> int:
    k2 = k5 = 0
    while n % 2 == 0 and n:
        n //= 2
        k2 += 1
    while n % 5 == 0 and n:
        n //= 5
        k5 += 1
    return max(k2, k5)


def exact(v) -> Any:
    """A value as an exact scaled integer; rows of a fraction without a finite decimal expansion are bad."""
    if not isinstance(v, Rat):
        if isinstance(v, Approx):
            raise Unsupported("nåverdi eller annuitet brukt uten avrunding")
        return v
    if isinstance(v.den, (int, np.integer)) or _ndim(v.den) == 0:
        den = int(v.den)
        if den == 1:
            return Num(v.num, v.scale, v.bad, _nbound(v))
        k = _twos_and_fives(den)
        rest = den
        while rest % 2 == 0:
            rest //= 2
        while rest % 5 == 0:
            rest //= 5
        factor = _pow10(k) // (den // rest)
        if rest == 1:
            data, risk = _checked_mul(v.num, factor, _nbound(v) * factor)
            return Num(data, v.scale + k, _or(v.bad, risk), _new_bound(data, _nbound(v) * factor))
        if _ndim(v.num) == 0:
            q, rem = divmod(int(v.num), rest)
        elif _huge(rest):  # |num| < rest: a remainder unless num is 0
            q, rem = np.zeros_like(v.num), v.num
        else:
            q, rem = np.divmod(v.num, rest)
        bound = (_nbound(v) // rest + 1) * factor
        data, risk = _checked_mul(q, factor, bound)
        return Num(data, v.scale + k, _or(_or(v.bad, risk), _mask(rem != 0)), _new_bound(data, bound))
    dens = [int(d) for d in np.unique(v.den)]
    k = max(_twos_and_fives(d) for d in dens)
    num = _fit(_scaled(Num(v.num, 0, v.bad, _nbound(v)), k))
    q, r = np.divmod(num.data, v.den)
    return Num(q, v.scale + k, _or(num.bad, _mask(r != 0)), num.bound)


def as_rat(v) -> Rat:
    if isinstance(v, Rat):
        return v
    v = exact(v)
    return Rat(v.data, 1, v.scale, v.bad, None, v.bound, 1)


def _odd_part(den):
    """The part of `den` without factors 2 and 5: n / den terminates iff it divides n."""
    d = np.asarray(den).copy()
    for p in (2, 5):
        while True:
            m = (d % p == 0) & (d > 1)
            if not m.any():
                break
            d = np.where(m, d // p, d)
    return d if d.ndim else int(d)


def _nonterminating(num, den):
    odd = _odd_part(den)
    if _ndim(odd) == 0:
        if odd == 1:
            return None
        if _ndim(num) == 0:
            return _mask(int(num) % odd != 0)
        if _huge(odd):  # |num| < odd: divisible only when 0
            return _mask(num != 0)
        num = np.asarray(num)
        return _mask(num // odd * odd != num)  # NumPy divides by a constant far faster than it takes a remainder
    return _mask(np.asarray(num) % odd != 0)


def _fabs(x):
    """|x| in float64 (a Python integer of any size too)."""
    if type(x) is int:
        return float(min(abs(x), 1 << 1000))
    return np.abs(np.asarray(x, dtype=np.float64))


def _times(x, k, out=None):
    """x · k (into `out` when given), without a pass over the array when k is 1."""
    return x if (_ndim(k) == 0 and int(k) == 1) else _mul(x, k, out)


def _ctimes(x, k, bound: int, out=None):
    """x · k checked (see `_checked_mul`; into `out` when given), without a pass over the array when k is 1."""
    if _ndim(k) == 0 and int(k) == 1:
        return x, None
    return _checked_mul(x, k, bound, out)


def rat_align(a: Rat, b: Rat):
    """Numerators of a and b over one denominator and scale, the rows that overflowed, and their bounds."""
    s = max(a.scale, b.scale)
    fa, fb = _pow10(s - a.scale), _pow10(s - b.scale)
    risk = None
    if _ndim(a.den) == 0 and _ndim(b.den) == 0:
        da, db = int(a.den), int(b.den)
        den = da * db // math.gcd(da, db)
        ka, kb = fa * (den // da), fb * (den // db)
        kab, kbb = ka, kb
        dbound = den
    else:
        kab, kbb, dbound = fa * _dbound(b), fb * _dbound(a), _dbound(a) * _dbound(b)
        den, r0 = _checked_mul(a.den, b.den, dbound)
        ka, r1 = _ctimes(b.den, fa, kab)
        kb, r2 = _ctimes(a.den, fb, kbb)
        risk = _or(r0, _or(r1, r2))
        dbound = min(dbound, SAFE)
    xb, yb = _nbound(a) * kab, _nbound(b) * kbb
    x, rx = _ctimes(a.num, ka, xb)
    y, ry = _ctimes(b.num, kb, yb)
    return x, y, den, s, _or(risk, _or(rx, ry)), _new_bound(x, xb), _new_bound(y, yb), dbound


def rat_binary(op: str, a: Rat, b: Rat) -> Rat:
    bad = _or(a.bad, b.bad)
    inexact = _or(a.inexact, b.inexact)
    if op in ("+", "-"):
        x, y, den, s, risk, xb, yb, db = rat_align(a, b)
        x, y, srisk = _sum_risk(x, y, xb + yb)
        num = x + y if op == "+" else x - y
        return Rat(num, den, s, _or(bad, _or(risk, srisk)), inexact, _new_bound(num, xb + yb), db)
    if op == "*":
        nb, db = _nbound(a) * _nbound(b), _dbound(a) * _dbound(b)
        num, r1 = _checked_mul(a.num, b.num, nb)
        den, r2 = _checked_mul(a.den, b.den, db)
        return Rat(num, den, a.scale + b.scale, _or(bad, _or(r1, r2)), inexact, _new_bound(num, nb),
                   _new_bound(den, db))
    # a / b = (a.num · b.den) / (a.den · b.num) · 10^(sb − sa)
    nb, db = _nbound(a) * _dbound(b), _dbound(a) * _nbound(b)
    num, r1 = _ctimes(a.num, b.den, nb)
    den, r2 = _ctimes(np.asarray(b.num) if _ndim(b.num) else b.num, a.den, db)
    risk, scale = _or(r1, r2), a.scale - b.scale
    if scale < 0:
        nb *= _pow10(-scale)
        num, r3 = _checked_mul(num, _pow10(-scale), nb)
        risk, scale = _or(risk, r3), 0
    zero = den == 0
    if _ndim(den) == 0:  # one denominator: no pass over the rows unless it is negative
        den = int(den)
        if den < 0:
            num, den = -num, -den
        den = den or 1
    else:
        if _huge(num):  # a constant beyond int64 over a denominator per row: not held by the arrays
            num, risk = 0, np.bool_(True)
        sign = np.where(den < 0, -1, 1)
        num, den = num * sign, np.where(zero, 1, np.abs(den))
    return Rat(num, den, scale, _or(_or(bad, risk), _mask(zero)), _or(inexact, _nonterminating(num, den)),
               _new_bound(num, nb), _new_bound(den, max(db, 1)))


def rat_compare(op: str, a: Rat, b: Rat) -> "Bool":
    x, y, _, _, risk, _, _, _ = rat_align(a, b)
    result = _COMPARE[op](x, y)
    bad = _or(_or(a.bad, b.bad), risk)
    inexact = _or(a.inexact, b.inexact)
    if inexact is not None:  # at equality the Decimal values may differ in the 34th digit
        bad = _or(bad, _mask(inexact & (x == y)))
    return Bool(result, bad)


def rat_choose(cond, a: Rat, b: Rat) -> Rat:
    x, y, den, s, risk, xb, yb, db = rat_align(a, b)
    data, huge = _pick_fitted(cond, x, y)
    return Rat(data, den, s, _or(_or(risk, huge), _sel(cond, a.bad, b.bad)), _sel(cond, a.inexact, b.inexact),
               _new_bound(data, max(xb, yb)), db)


def _pick_fitted(cond, x, y):
    """`_pick`, with a constant beyond int64 as 0, and the rows that pick it (bad)."""
    if not (_huge(x) or _huge(y)):
        return _pick(cond, x, y), None
    if _ndim(cond) == 0:
        return (x if cond else y), None
    bad = _sel(cond, np.bool_(True) if _huge(x) else None, np.bool_(True) if _huge(y) else None)
    return _pick(cond, 0 if _huge(x) else x, 0 if _huge(y) else y), bad


def round_value(v, unit: Decimal, mode: str, out=None) -> Num:
    """An exact value (Num or Rat) rounded to a multiple of `unit`; a Rat at a boundary it is inexact at is bad.
    The rounded value is written into `out` when given, unless it is `v` itself."""
    u = decimal_num(unit)
    if isinstance(v, Rat):
        # value / unit = num / (den · 10^s) · 10^su / U, rounded exactly in integers
        k = u.scale - v.scale
        numer = Num(v.num, 0, v.bad, _bound_of(v.num) if k > 0 else _nbound(v))
        numer = _scaled(numer, k) if k > 0 else numer
        f = u.data * (_pow10(-k) if k < 0 else 1)
        denom, risk = _ctimes(v.den, f, _dbound(v) * f)
        if _huge(numer.data) and _ndim(denom):  # a constant beyond int64 over a denominator per row
            numer = _fit(numer)
        q = divround(numer.data, denom, mode, out)
        bad = _or(numer.bad, risk)
        if v.inexact is not None:  # only the rows with an inexact fraction: are they exactly at a boundary?
            rows, shape, x, d = _rows_of(v.inexact, numer.data, denom)
            if _huge(d) and _ndim(x):  # |x| < d: a whole number only at 0, never at a half
                edge = (x == 0) if mode in ("ned", "opp") else np.zeros(np.shape(x), dtype=bool)
            else:
                r = x % d
                edge = (r == 0) if mode in ("ned", "opp") else (2 * r == d)
            bad = _or(bad, _rows_mask(shape, rows[edge]))
        bound = numer.bound // int(denom) + 1 if _ndim(denom) == 0 else _bound_of(q) + 1
        data, risk = _ctimes(q, u.data, bound * u.data, out)
        return Num(data, u.scale, _or(bad, risk), _new_bound(data, bound * u.data))
    v = exact(v)
    if u.data == 1 and v.scale <= u.scale:  # already a multiple of the unit
        return _scaled(v, u.scale, out)
    s = max(v.scale, u.scale)
    x = _scaled(v, s)
    q = divround(x.data, u.data * _pow10(s - u.scale), mode, out)
    bound = x.bound // (u.data * _pow10(s - u.scale)) + 1
    data, risk = _ctimes(q, u.data, bound * u.data, out)
    return Num(data, u.scale, _or(x.bad, risk), _new_bound(data, bound * u.data))


def _rows_of(mask, *columns):
    """The rows in `mask` (0-d or an array), the shape they index, and each column's values there."""
    shape = np.broadcast_shapes(*(np.shape(c) for c in columns), np.shape(mask))
    rows = np.flatnonzero(np.broadcast_to(mask, shape))
    return (rows, shape, *(c[rows] if _ndim(c) else c for c in columns))


def _rows_mask(shape, rows):
    """A boolean array of `shape` that is true at `rows` (a 0-d one for a scalar); None when empty."""
    if not rows.size:
        return None
    if not shape:
        return np.bool_(True)
    out = np.zeros(shape, dtype=bool)
    out[rows] = True
    return out


def _mask(m):
    if isinstance(m, np.ndarray):
        return m if m.ndim == 0 or m.any() else None
    return np.bool_(True) if m else None


def _bound_of(data) -> int:
    if isinstance(data, np.ndarray):
        return max(int(data.max()), -int(data.min())) if data.size else 0
    return abs(int(data))


def divround(v, u, mode: str, out=None):
    """Round v / u (integers, u > 0) to an integer with one of the language's rounding modes (into `out`).

    Two values fixed for the batch are rounded as Python integers; an array over a divisor beyond int64
    (|v| < u) rounds to −1, 0 or 1, found by exact comparisons."""
    if _both_fixed(v, u):
        return _divround_int(int(v), int(u), mode)
    if _huge(u):
        v = np.asarray(v)
        if mode == "ned":
            return np.negative(v < 0, dtype=np.int64, out=out)
        if mode == "opp":
            return np.add(v > 0, 0, dtype=np.int64, out=out)
        far = np.abs(v) >= (u + 1) // 2 if mode == "halv_opp" else np.abs(v) > u // 2
        return np.multiply(np.sign(v), far, out=out)
    if mode == "ned":
        return _fdiv(v, u, out)
    if mode == "opp":
        q = _fdiv(-v, u, out)
        return -q if out is None else np.negative(q, out=out)
    if mode == "halv_opp":  # half away from zero: ⌊(v + u/2 − [v < 0]) / u⌋ for an even u (|v| < SAFE: no overflow)
        negative = np.asarray(v) < 0
        if _ndim(u) == 0 and u % 2 == 0:
            return _fdiv(v + u // 2, u, out) if not negative.any() else _fdiv(v + u // 2 - negative, u, out)
        q, r = np.divmod(v, u)  # else by the remainder, compared without doubling it (2v could pass 2**63)
        up = np.where(negative, r > u - r, r >= u - r)
        return _add(q, up, out)
    q = v // u  # halv_jevn
    twice = 2 * (v - q * u)
    return _add(q, (twice > u) | ((twice == u) & (q % 2 == 1)), out)


def _divround_int(v: int, u: int, mode: str) -> int:
    if mode == "ned":
        return v // u
    if mode == "opp":
        return -(-v // u)
    if mode == "halv_opp":
        q = (2 * abs(v) + u) // (2 * u)
        return -q if v < 0 else q
    q, r = divmod(v, u)
    return q + (2 * r > u or (2 * r == u and q % 2 == 1))


# ---- the batch -----------------------------------------------------------------------------


@attrs.define
class Batch:
    """Validated søknader as columns: one `Rec` of fields; lists as offsets and element columns.

    `schema` is the one the søknader were validated against (`soknad.described_schema`), which describes
    the facts not yet given in `rows_facts`; `bad` marks rows the arrays cannot represent exactly (amounts
    over 100 milliarder kr); `facts` keeps the original validated facts when the batch was built from them.
    """

    n: int
    root: Rec
    schema: T.Record
    bad: Any = None
    facts: list | None = None
    exact_facts: dict = attrs.field(factory=dict)  # row → facts, for rows whose columns are clamped

    def take(self, rows: np.ndarray | slice) -> "Batch":
        """Some rows as a batch of their own; a slice of rows (`slice(start, stop)`) shares the arrays."""
        if isinstance(rows, slice):
            rows = slice(*rows.indices(self.n)[:2])
            n = rows.stop - rows.start
            facts = None if self.facts is None else self.facts[rows]
            exact_facts = {r - rows.start: f for r, f in self.exact_facts.items() if rows.start <= r < rows.stop}
        else:
            n = len(rows)
            facts = None if self.facts is None else [self.facts[i] for i in rows]
            exact_facts = {}
            if self.exact_facts:
                where = {int(r): i for i, r in enumerate(rows)}
                exact_facts = {where[r]: f for r, f in self.exact_facts.items() if r in where}
        return Batch(n, _take_rec(self.root, rows), self.schema, _take(self.bad, rows), facts, exact_facts)

    def rows_facts(self, rows: np.ndarray) -> list[dict]:
        """The validated facts of some rows (as `Policy.validate` returns them), converted column by column."""
        if self.facts is not None:
            return [self.facts[i] for i in rows]
        sub = self.take(rows)
        out = _py_records(sub.root, self.schema, sub.n)
        for i, f in sub.exact_facts.items():
            out[i] = f
        return out


def _take_value(v, rows):
    match v:
        case Lst() if isinstance(rows, slice):
            lo, hi = int(v.offsets[rows.start]), int(v.offsets[rows.stop])
            return Lst(v.offsets[rows.start:rows.stop + 1] - lo, _take_rec(v.element, slice(lo, hi)), _take(v.bad, rows))
        case Lst():
            lengths = np.diff(v.offsets)[rows]
            offsets = np.zeros(len(rows) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            starts = v.offsets[:-1][rows]
            elems = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
            return Lst(offsets, _take_rec(v.element, elems), _take(v.bad, rows))
        case Rec():
            return _take_rec(v, rows)
    return lift(v, rows)


def _take_rec(rec: Rec, rows) -> Rec:
    return Rec({k: Field(_take_value(f.value, rows), _take(f.missing, rows)) for k, f in rec.fields.items()})


def number_scale(t: T.Num) -> int:
    """The scale facts of a unit are held at: øre for money, 4 decimals for percentages."""
    if t.integer:
        return 0
    return 4 if t.unit in ("%", "prosentpoeng") else 2


def from_facts(schema: T.Record, facts: list[dict]) -> Batch:
    """Columns from validated facts (`Policy.validate`), e.g. JSON søknader or the policy's examples."""
    root, bad = _record_columns(schema, facts)
    return Batch(len(facts), root, schema, bad, facts)


def _record_columns(record: T.Record, rows: list[dict]) -> tuple[Rec, Any]:
    fields, bad = {}, None
    for name, spec in record.fields.items():
        values = [r[name] for r in rows]
        value, missing, b = _column(spec.type, values)
        fields[name] = Field(value, missing)
        bad = _or(bad, b)
    return Rec(fields), bad


def _column(t: T.Type, values: list) -> tuple[Any, Any, Any]:
    """(value, missing mask, bad mask) of one field over all rows."""
    if Unassessed in set(map(type, values)):  # not yet given or assessed: missing, see `fact`
        values = [None if v.__class__ is Unassessed else v for v in values]
    any_missing = values.count(None) > 0
    missing = np.array([v is None for v in values], dtype=bool) if any_missing else None
    match t:
        case T.Num():
            scale = number_scale(t)
            f = 10**scale
            ints = [0 if v is None else int(v * f) for v in values] if any_missing else [int(v * f) for v in values]
            limit = MAX_INTEGER if t.integer else MAX_MONEY_ORE
            if ints and (max(ints) > limit or min(ints) < -limit):
                big = [abs(x) > limit for x in ints]
                bad = np.array(big, dtype=bool)
                ints = [0 if b else x for x, b in zip(ints, big)]
            else:
                bad = None
            value = Num(np.array(ints, dtype=np.int64), scale, None, limit)
        case T.Bool():
            value = Bool(np.array([bool(v) for v in values] if any_missing else values, dtype=bool))
            bad = None
        case T.Enum(_, options):
            index = {o: i for i, o in enumerate(options)}
            value = Cat(np.array([index.get(v, 0) for v in values], dtype=np.int16), tuple(options))
            bad = None
        case T.Text():
            seen: dict[str, int] = {}
            codes = [seen.setdefault(v, len(seen)) if v is not None else 0 for v in values]
            value = Cat(np.array(codes, dtype=np.int32), tuple(seen) or ("",))
            bad = None
        case T.Date():
            value = Day(np.array([0 if v is None else v.toordinal() - EPOCH for v in values], dtype=np.int64))
            bad = None
        case T.Record():
            value, bad = _record_columns(t, [{} if v is None else v for v in values])
        case T.ListOf(element):
            lengths = [0 if v is None else len(v) for v in values]
            offsets = np.zeros(len(values) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            items = [item for v in values if v for item in v]
            if isinstance(element, T.Record):
                rec, ebad = _record_columns(element, items)
            else:
                raise Unsupported("liste av enkeltverdier")
            value = Lst(offsets, rec)
            bad = None if ebad is None else _segment_any(ebad, offsets)
        case _:
            raise Unsupported(f"felttype {T.describe(t)}")
    return value, missing, bad


def _py_records(rec: Rec, record: T.Record, n: int, path: tuple = ()) -> list[dict]:
    names = list(record.fields)
    columns = [_py_values(rec.fields[name], record.fields[name], n, (*path, name)) for name in names]
    return [dict(zip(names, values)) for values in zip(*columns)] if names else [{} for _ in range(n)]


def _py_values(f: Field, spec: T.FieldSpec, n: int, path: tuple) -> list:
    v, t = f.value, spec.type
    match t:
        case T.Num():
            data = np.broadcast_to(v.data, (n,)).tolist()
            unit = 10**v.scale
            out = [Decimal(x // unit) if x % unit == 0 else Decimal(x).scaleb(-v.scale) for x in data]
        case T.Bool():
            out = np.broadcast_to(v.data, (n,)).tolist()
        case T.Enum() | T.Text():
            out = [v.values[c] for c in np.broadcast_to(v.data, (n,)).tolist()]
        case T.Date():
            out = [dt.date.fromordinal(d + EPOCH) for d in np.broadcast_to(v.data, (n,)).tolist()]
        case T.Record():
            out = _py_records(v, t, n, path)
        case T.ListOf(element):
            items = _py_records(v.element, element, int(v.offsets[-1]), path)
            bounds = v.offsets.tolist()
            out = [items[bounds[i]:bounds[i + 1]] for i in range(n)]
        case _:
            raise AssertionError(t)
    if f.missing is not None:  # `ingen`, or a fact not yet given or assessed (`oppgis av`)
        blank = unassessed(path, spec) if spec.provided_by is not None else None
        out = [blank if m else x for x, m in zip(out, f.missing.tolist())]
    return out


def _segment_sum(values, offsets):
    """Sum of each row's elements (int64): a running sum over the elements, differenced at the offsets
    (five times faster than `np.add.reduceat`, which pays per row). The running sum may wrap around
    int64; the differences are exact modulo 2**64, so exact for every row sum that fits in int64."""
    running = np.empty(len(values) + 1, dtype=np.int64)
    running[0] = 0
    np.cumsum(values, dtype=np.int64, out=running[1:])
    at = running[offsets]
    return at[1:] - at[:-1]


def _checked_sum(values, offsets, bound: int):
    """Each row's sum of elements and the rows where it may not fit int64 (0 there): when the static bound
    reaches SAFE, the sums of the magnitudes in float64 (positive terms, so each row's estimate is off by
    far less than the factor 2 to int64's limit) mark them."""
    sums = _segment_sum(values, offsets)
    if bound < SAFE:
        return sums, None
    running = np.zeros(len(values) + 1)
    np.cumsum(np.abs(values, dtype=np.float64), out=running[1:])
    at = running[offsets]
    risk = _risk(at[1:] - at[:-1])
    if risk is not None:
        sums[risk] = 0
    return sums, risk


def _segment_any(mask, offsets):
    """Rows with an element in `mask` (None when there is none)."""
    if mask is None:
        return None
    if mask.ndim == 0:
        m = np.diff(offsets) > 0 if mask else np.zeros(len(offsets) - 1, dtype=bool)
        return m if m.any() else None
    hits = np.flatnonzero(mask)
    if not hits.size:
        return None
    if hits.size > len(mask) // 16:
        return _segment_sum(mask.view(np.int8), offsets) > 0
    m = np.zeros(len(offsets) - 1, dtype=bool)
    m[np.searchsorted(offsets, hits, side="right") - 1] = True
    return m


# ---- the program ---------------------------------------------------------------------------


class _Scope:
    """Where an expression is evaluated: the rows, or the elements of a list (with their row)."""

    def __init__(self, lst: "Lst | None" = None, names=None, outer=None):
        self.lst = lst
        self.names = names or {}
        self.outer = outer

    @property
    def parent(self):
        """The row of each element (computed when a row-level array is first read inside the list)."""
        return None if self.lst is None else self.lst.parent


@attrs.frozen
class OpenFact:
    """A fact not yet given or assessed on some rows of the batch, whose values can all be tried."""

    path: tuple
    domain: tuple
    missing: np.ndarray


class _Fixed:
    """What a scheme computes the same for every row, kept from batch to batch: the parameters and the
    computations that read no fact of the søknad (statically), by name and the batch's range of dates."""

    _of: dict[int, "_Fixed"] = {}

    def __init__(self, policy: CheckedPolicy, scheme: SchemeDef):
        self.policy, self.scheme = policy, scheme
        self.free: dict[str, bool] = {}
        self.values: dict[tuple, Any] = {}

    @classmethod
    def of(cls, policy: CheckedPolicy, scheme: SchemeDef) -> "_Fixed":
        hit = cls._of.get(id(scheme))
        if hit is None or hit.scheme is not scheme or hit.policy is not policy:
            if len(cls._of) > 256:
                cls._of.clear()
            hit = cls._of[id(scheme)] = cls(policy, scheme)
        if len(hit.values) > 4096:  # many ranges of dates: start again
            hit.values.clear()
        return hit

    def fact_free(self, name: str) -> bool:
        """Whether a name reads no fact of the søknad (nor `utfall`), through the computations it names too."""
        if name not in self.free:
            self.free[name] = False  # a cycle is impossible in a checked policy; this guards the recursion
            if name in self.policy.parameters or name == "tilbudte_ordninger":
                self.free[name] = True
            elif name in self.scheme.computations:
                self.free[name] = self._expr_free(self.scheme.computations[name].expr)
        return self.free[name]

    def _expr_free(self, expr) -> bool:
        for x in ast.walk(expr):
            if isinstance(x, (ast.Attribute, ast.Aggregate)) or (isinstance(x, ast.Call) and x.function == "oppgitt"):
                return False
            if isinstance(x, ast.Lookup):
                continue  # its table is a name of its own; its keys are walked
            if isinstance(x, ast.Name) and x.name not in self.policy.tables and not self.fact_free(x.name):
                return False
        return True


class Evaluator:
    """Evaluate one scheme of a checked policy over a `Batch`, computation by computation.

    `under(assignment)` gives an evaluator that reads each open fact of the assignment (see
    `OpenFact`) with the assigned value on the rows where it is missing: one completion of every
    row at once. It shares with its base every value that reads none of the assigned facts.
    """

    def __init__(self, policy: CheckedPolicy, scheme: SchemeDef, batch: Batch, base: "Evaluator | None" = None,
                 assignment: dict | None = None):
        self.policy, self.scheme, self.batch = policy, scheme, batch
        self.memo: dict[str, Any] = {}
        self._cache: dict[tuple, tuple] = {}
        self.base, self.assignment = base, assignment or {}
        self.rechecked = base.rechecked if base is not None else np.zeros(batch.n, dtype=bool)
        self.dates = batch.root.fields["søknadsdato"].value.data
        self._date_range = base._date_range if base is not None else (
            (int(self.dates.min()), int(self.dates.max())) if batch.n else (0, 0))
        self._reads: dict[str, frozenset] = {} if base is None else base._reads
        self._children: dict[frozenset, Evaluator] = {}
        self.over_budget: dict[tuple, Any] = {}  # see `_over_budget`
        self.open: dict[tuple, OpenFact] = self._open_facts() if base is None else base.open
        self.fixed = _Fixed.of(policy, scheme)

    # -- facts not yet given or assessed
    def _open_facts(self) -> dict[tuple, OpenFact]:
        """The `oppgis av` facts outside lists that are missing on some rows and have a domain (a field that
        may be `ingen` or has a `påkrevd når` is not one: its completions include leaving it out)."""
        out: dict[tuple, OpenFact] = {}

        def visit(rec: Rec, record: T.Record, path: tuple):
            for name, spec in record.fields.items():
                f = rec.fields[name]
                if isinstance(spec.type, T.Record) and isinstance(f.value, Rec):
                    visit(f.value, spec.type, (*path, name))
                elif (spec.provided_by is not None and not spec.nullable and spec.required_when is None
                      and f.missing is not None):  # one the søknad may leave out is tried absent too: not here
                    domain = unassessed((*path, name), spec).domain
                    if domain:
                        out[(*path, name)] = OpenFact((*path, name), tuple(domain), f.missing)
        if self.batch.n:
            visit(self.batch.root, self.batch.schema, ())
        return out

    def reads(self, e: ast.Expr | None, bound: frozenset = frozenset()) -> frozenset:
        """The open facts an expression may read (through computations too), statically."""
        if e is None or not self.open:
            return frozenset()
        match e:
            case ast.Name(name) if name not in bound:
                if name in self.scheme.computations:
                    if name not in self._reads:
                        self._reads[name] = self.reads(self.scheme.computations[name].expr)
                    return self._reads[name]
                return frozenset({(name,)}) if (name,) in self.open else frozenset()
            case ast.Attribute():
                path = _fact_path(e, bound)
                if path is not None:
                    return frozenset({path}) if path in self.open else frozenset()
            case ast.Aggregate():
                inner = bound | {e.var} if e.var is not None else bound
                return self.reads(e.source, bound) | self.reads(e.where, inner) | self.reads(e.body, inner)
        return frozenset().union(*(self.reads(y, bound) for y in _operands(e)))

    def under(self, assignment: dict) -> "Evaluator":
        key = frozenset(assignment.items())
        if key not in self._children:
            self._children[key] = Evaluator(self.policy, self.scheme, self.batch, self, assignment)
        return self._children[key]

    def filled(self, f: Field, path: tuple):
        """The column of an open fact with the assigned value on the rows where it is missing."""
        value, v, missing = self.assignment[path], f.value, f.missing
        match v:
            case Bool():
                return Bool(v.data | missing if value else v.data & ~missing, v.bad)
            case Cat():
                return Cat(np.where(missing, v.values.index(value), v.data), v.values, v.bad)
            case Num():
                scaled = Decimal(value).scaleb(v.scale)
                if scaled != scaled.to_integral_value() or abs(scaled) > MAX_MONEY_ORE:  # not at the column's scale
                    return attrs.evolve(v, bad=_or(v.bad, missing))
                return Num(np.where(missing, int(scaled), v.data), v.scale, v.bad, max(v.bound, abs(int(scaled))))
        raise Unsupported("en manglende opplysning av denne typen")

    # -- names
    def name(self, name: str, scope: _Scope):
        s = scope
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.outer
        v = self.row_name(name)
        return v if scope.lst is None or _uniform(v) else lift(v, scope.parent)

    def row_name(self, name: str):
        if name in self.memo:
            return self.memo[name]
        if self.base is not None and name != "utfall" and not (self._name_reads(name) & self.assignment.keys()):
            return self.base.row_name(name)
        fixed = self.fixed.values if self.fixed.fact_free(name) else None
        if fixed is not None:
            v = fixed.get((name, self._date_range))
            if v is not None:
                self.memo[name] = v
                return v
        if name in self.scheme.computations:
            v = self.eval(self.scheme.computations[name].expr, _Scope())
        elif name in self.policy.parameters:
            v = self.parameter(name)
        elif name == "tilbudte_ordninger":
            v = Sets((frozenset(self.policy.schemes),), 0)
        elif name == "utfall":
            raise Unsupported("utfall brukt utenfor vedtaket")
        elif (name,) in self.assignment:
            v = self.filled(self.batch.root.fields[name], (name,))
        else:
            spec = self.policy.schema.fields[name]
            v = self.fact(self.batch.root.fields[name], spec)
        if fixed is not None and _uniform(v):
            fixed[(name, self._date_range)] = v
        self.memo[name] = v
        return v

    def _name_reads(self, name: str) -> frozenset:
        if name in self.scheme.computations:
            return self.reads(ast.Name(name))
        return frozenset({(name,)}) if (name,) in self.open else frozenset()

    @staticmethod
    def fact(f: Field, spec: T.FieldSpec | None):
        """A fact's column; rows where a nullable fact is `ingen`, or a fact is not yet given or
        assessed (`oppgis av`), are bad where they are read: the Decimal backend decides them."""
        v = f.value
        if spec is not None and (spec.nullable or spec.provided_by) and f.missing is not None:
            v = attrs.evolve(v, bad=_or(v.bad, f.missing))
        return v

    def _version(self, dates: list[dt.date]):
        """Index of the dated value in force per row: an int when one value covers the batch."""
        ordinals = [d.toordinal() - EPOCH for d in dates]
        lo, hi = (bisect.bisect_right(ordinals, d) - 1 for d in self._date_range)
        if lo == hi:
            return lo, (np.bool_(True) if lo < 0 else None)
        days = np.array(ordinals, dtype=np.int64)
        idx = np.searchsorted(days, self.dates, side="right") - 1
        bad = idx < 0
        return np.maximum(idx, 0), (bad if bad.any() else None)

    def parameter(self, name: str):
        p = self.policy.parameters[name]
        idx, bad = self._version([v.valid_from for v in p.values])
        values = [v.value for v in p.values]
        if isinstance(idx, int) and idx < 0:
            idx = 0
        return _dated(values, idx, bad, p.type)

    # -- expressions
    def eval(self, e: ast.Expr, scope: _Scope):
        match e:
            case ast.Quantity(value, unit):
                v = T.stored_value(value, unit)
                return decimal_num(v) if isinstance(v, Decimal) else _constant(v)
            case ast.Text(value):
                return Cat(0, (value,))
            case ast.Boolean(value):
                return Bool(np.bool_(value))
            case ast.DateLiteral(value):
                return Day(value.toordinal() - EPOCH)
            case ast.Name(name):
                return self.name(name, scope)
            case ast.Attribute(obj, name):
                rec = self.eval(obj, scope)
                if self.assignment:
                    path = _fact_path(e, _bound_names(scope))
                    if path in self.assignment:
                        return self.filled(rec.get(name), path)
                record = self.policy.expr_types.get(id(obj))
                spec = record.fields.get(name) if isinstance(record, T.Record) else None
                return self.fact(rec.get(name), spec)
            case ast.Lookup(ast.Name(table), keys):
                return self.table(table, [self.eval(k, scope) for k in keys], scope)
            case ast.Call(function, args):
                return self.call(function, args, scope)
            case ast.Unary("-", operand):
                v = self.eval(operand, scope)
                if isinstance(v, Rat):
                    return Rat(-v.num, v.den, v.scale, v.bad, v.inexact, v.bound, v.dbound)
                v = exact(v)
                return Num(-v.data, v.scale, v.bad, v.bound)
            case ast.Unary("ikke", operand):
                v = self.eval(operand, scope)
                return Bool(np.logical_not(v.data), v.bad)
            case ast.Binary(op, left, right):
                return self.binary(op, self.eval(left, scope), self.eval(right, scope))
            case ast.Compare(op, left, right):
                return compare(op, self.eval(left, scope), self.eval(right, scope))
            case ast.Logical(op, left, right):
                a, b = self.eval(left, scope), self.eval(right, scope)
                if op == "og":
                    return Bool(np.logical_and(a.data, b.data), _or(a.bad, _and_mask(a.data, b.bad)))
                return Bool(np.logical_or(a.data, b.data), _or(a.bad, _and_mask(np.logical_not(a.data), b.bad)))
            case ast.Member(item, ast.ListLiteral(items)):
                v = self.eval(item, scope)
                return member(v, frozenset(x.value for x in items))
            case ast.Member(item, container):
                v, c = self.eval(item, scope), self.eval(container, scope)
                if not isinstance(c, Sets):
                    raise Unsupported("«i» med en beholder som ikke er en mengde")
                return member_sets(v, c)
            case ast.If(cond, then, otherwise):
                c = self.eval(cond, scope)
                return choose(c, self.eval(then, scope), self.eval(otherwise, scope))
            case ast.Aggregate():
                return self.aggregate(e, scope)
        raise Unsupported(type(e).__name__)

    def binary(self, op: str, a, b):
        if op == "*" and isinstance(b, Frac):
            a, b = b, a
        if op == "*" and isinstance(a, Frac):  # x · n/d is (x · n) / d, as values.Ratio computes it
            r = rat_binary("/", rat_binary("*", as_rat(b), as_rat(a.num)), as_rat(a.den))
            return attrs.evolve(r, bad=_or(r.bad, a.bad))
        if op == "/" or isinstance(a, Rat) or isinstance(b, Rat):
            return rat_binary(op, as_rat(a), as_rat(b))
        a, b = exact(a), exact(b)
        if op == "*":
            return multiply(a, b)
        a, b = _align(a, b)
        x, y, risk = _sum_risk(a.data, b.data, a.bound + b.bound)
        data = x + y if op == "+" else x - y
        return Num(data, a.scale, _or(_or(a.bad, b.bad), risk), _new_bound(data, a.bound + b.bound))

    def call(self, function: str, args: tuple, scope: _Scope):
        if function == "oppgitt":
            arg = args[0]
            if isinstance(arg, ast.Attribute):
                f = self.eval(arg.obj, scope).get(arg.name)
            else:
                f = self.batch.root.fields[arg.name]
                if scope.lst is not None:
                    f = Field(None, _take(f.missing, scope.parent) if _ndim(f.missing) else f.missing)
            if f.missing is None:
                return Bool(np.bool_(True))
            record = self.policy.expr_types.get(id(arg.obj)) if isinstance(arg, ast.Attribute) else self.policy.schema
            spec = record.fields.get(arg.name) if isinstance(record, T.Record) else None
            # of a field that may be `ingen` and is not yet given, it is not known whether it will be
            unknown = f.missing if spec is not None and spec.nullable and spec.provided_by else None
            return Bool(np.logical_not(f.missing), unknown)
        if function == "avrund":
            value, unit, mode = args
            return self.rounded(self.eval(value, scope), T.stored_value(unit.value, unit.unit), mode.name)
        values = [self.eval(a, scope) for a in args]
        if function in ("maks", "min"):
            if any(isinstance(v, Rat) for v in values):
                out = as_rat(values[0])
                for v in values[1:]:
                    v = as_rat(v)
                    keep = rat_compare(">=" if function == "maks" else "<=", out, v)
                    out = rat_choose(keep.data, out, v)
                    out.bad = _or(out.bad, _or(keep.bad, _or(values[0].bad, v.bad)))
                return out
            nums = [exact(v) for v in values]
            s = max(v.scale for v in nums)
            nums = [_scaled(v, s) for v in nums]
            bad = functools.reduce(_or, (v.bad for v in nums))
            sign = 1 if function == "maks" else -1
            if all(_ndim(v.data) == 0 for v in nums) or any(_huge(v.data) and v.data * sign > 0 for v in nums):
                # Python integers; a constant beyond int64 on the winning side is the value on every row
                data = sign * max(int(v.data) * sign for v in nums if _ndim(v.data) == 0)
                return Num(data, s, bad, abs(data))
            nums = [v for v in nums if not _huge(v.data)]  # beyond int64 on the losing side: never the value
            pick = np.maximum if function == "maks" else np.minimum
            data = nums[0].data
            for v in nums[1:]:
                data = pick(data, v.data)
            return Num(data, s, bad, max(v.bound for v in nums))
        if function in ("nåverdi", "annuitet"):
            amount = values[0] if isinstance(values[0], Rat) else exact(values[0])
            return self.finance(function, amount, *[exact(v) for v in values[1:]])
        twelve = Rat(12, 1, 0)
        if function == "månedsrente":
            loan, rate = (as_rat(v) for v in values)
            return rat_binary("/", rat_binary("*", loan, rate), twelve)
        if function == "lån_for_rente":
            payment, rate = (as_rat(v) for v in values)
            return rat_binary("/", rat_binary("*", payment, twelve), rate)
        raise Unsupported(function)

    def rounded(self, v, unit: Decimal, mode: str) -> Num:
        if isinstance(v, Approx):
            return self.rounded_approx(v, unit, decimal_num(unit), mode)
        return round_value(v, unit, mode)

    def rounded_approx(self, v: Approx, unit: Decimal, u: Num, mode: str) -> Num:
        x = np.asarray(v.times(1.0 / float(unit)), dtype=np.float64)  # the value in units: a new array of this call
        good = x if not (isinstance(v.bad, np.ndarray) and v.bad.ndim) else np.where(v.bad, 0.0, x)
        lo, hi = (float(good.min()), float(good.max())) if good.size else (0.0, 0.0)
        largest = max(abs(lo), abs(hi))  # over the rows the arrays decide (a bad row may hold anything)
        # one band for the batch, from the largest value: at least each row's own band
        band = largest * REL_BAND + ABS_BAND / float(unit)
        if (mode == "halv_opp" and lo >= 0) or mode == "ned":
            # no negative values: half up is floor(x + ½), near a boundary where x + ½ is near a whole number;
            # in place (x is this call's own array), as are the fractions
            if mode == "halv_opp":
                np.add(x, 0.5, out=x)
            q = np.floor(x)
            frac = np.subtract(x, q, out=x)
            near = frac < band
            near |= frac > 1 - band
        elif mode == "opp":
            whole = np.floor(x)
            frac = x - whole
            near = (frac < band) | (frac > 1 - band)
            q = np.ceil(x)
        else:
            ax = np.abs(x)
            near = np.abs(ax - np.floor(ax) - 0.5) < band
            q = np.copysign(np.floor(ax + 0.5), x) if mode == "halv_opp" else np.rint(x)
        bad = v.bad
        if not largest * u.data < SAFE:  # beyond int64 at the unit's scale on some rows: those fall back
            over = np.logical_not(np.abs(q) * u.data < SAFE)
            bad = _or(bad, _mask(over))
            q = np.where(over, 0.0, q)
        q = q.astype(np.int64)
        if v.inexact is not None:  # no exact Decimal input to recompute from: the row falls back
            bad = _or(bad, _mask(near & v.inexact))
        if bad is not None:
            near = near & ~bad
        rows = np.flatnonzero(near)
        if rows.size:
            with localcontext(CONTEXT):
                exact_q = [runtime.rounded(d, unit, mode) / unit for d in v.exact(rows)]
            q[rows] = [int(d) for d in exact_q]
            self.rechecked[rows] = True
        if u.data != 1:
            q *= u.data
        bound = min(int(largest) + 2, SAFE) * u.data if largest == largest else SAFE
        return Num(q, u.scale, bad, bound)

    def finance(self, function: str, amount, rate: Num, years: Num) -> Approx:
        """nåverdi or annuitet in float64: the factor once per (rate, term), the product per row."""
        inexact = None
        if isinstance(amount, Rat):
            inexact = amount.inexact
            raw = self._derived("float", amount.num, lambda: np.asarray(amount.num, dtype=np.float64))
            divisor = float(_pow10(amount.scale))
            if _ndim(amount.den):
                raw = raw / amount.den
            else:
                divisor *= int(amount.den)
            amount = Rat(amount.num, amount.den, amount.scale, amount.bad, None, amount.bound, amount.dbound)
        else:
            raw = self._derived("float", amount.data, lambda: np.asarray(amount.data, dtype=np.float64))
            divisor = float(_pow10(amount.scale))
        months, low, present = self._derived(("months", years.scale), years.data, lambda: _months(years))
        rates = np.asarray(rate.data)
        bad = _or(_or(amount.bad, rate.bad), _or(years.bad, low))
        if _ndim(months) < _ndim(raw) and rates.ndim:
            months = np.broadcast_to(months, np.shape(raw))
        pv = function == "nåverdi"

        def factor(r: int, n: int) -> float:
            return _factor(pv, r, rate.scale, n)

        key = None
        if rates.ndim == 0:
            r = int(rates)
            if months.ndim == 0:
                fac = factor(r, int(months))
            elif not present.size or _indexable(int(present.max()), months.size):
                fac = np.zeros(int(present.max()) + 1 if present.size else 1)
                for n in present:
                    fac[n] = factor(r, int(n))
                key = months
            else:  # terms too long to index by: one factor per term that occurs
                fac = np.array([factor(r, int(n)) for n in present])
                key = np.searchsorted(present, months)
        else:
            rates_b, months_b = np.broadcast_arrays(rates, months)
            keys, inverse = np.unique(np.stack([rates_b.ravel(), months_b.ravel()]), axis=1, return_inverse=True)
            fac = np.array([factor(int(k0), int(k1)) for k0, k1 in keys.T])
            key = inverse.ravel()
        fac = fac / divisor
        run = runtime.present_value if pv else runtime.annuity

        def exact_values(rows: np.ndarray) -> list:
            def at(col, i: int) -> Decimal:
                if isinstance(col, Rat):  # a fraction with a finite expansion (inexact rows never get here)
                    return Decimal(int(_take(col.num, i))) / Decimal(int(_take(col.den, i))) / _pow10(col.scale)
                return Decimal(int(_take(col.data, i))).scaleb(-col.scale)
            return [run(at(amount, i), at(rate, i), at(years, i)) for i in rows]
        return Approx(raw, fac, key, exact_values, bad, inexact)

    def _derived(self, kind, source, make: Callable[[], Any]):
        """A value computed from an array once per evaluator (the array is kept, so its id stays its own)."""
        key = (kind, id(source))
        hit = self._cache.get(key)
        if hit is None or hit[0] is not source:
            hit = self._cache[key] = (source, make())
        return hit[1]

    def table(self, name: str, keys: list, scope: _Scope):
        """The value each row's keys (one column per dimension) select in the version in force."""
        t = self.policy.tables[name]
        idx, bad = self._version([v.valid_from for v in t.versions])
        if scope.lst is not None and (_ndim(idx) or _ndim(bad)):
            idx, bad = _take(idx, scope.parent), _take(bad, scope.parent)
        if isinstance(idx, int) and idx < 0:
            idx = 0
        out_scale = max((decimal_num(v).scale for ver in t.versions for _, v in ver.rows), default=0)
        bound = max((abs(_scaled(decimal_num(v), out_scale).data) for ver in t.versions for _, v in ver.rows), default=0)
        bad = functools.reduce(_or, (k.bad for k in keys), bad)
        domain = _domain(keys[0]) if len(keys) == 1 and isinstance(idx, int) else None
        if domain is not None:  # the table over the key's few values, then one lookup per row
            index, values = domain
            data, hit = _table_version(t.versions[idx], [values], out_scale)
            miss = None if hit.all() else _mask(np.take(np.logical_not(hit), index))
            return Num(np.take(data, index), out_scale, _or(bad, miss), bound)
        result, found = None, None
        for vi, version in enumerate(t.versions):
            if isinstance(idx, int) and vi != idx:
                continue
            data, hit = _table_version(version, keys, out_scale)
            if isinstance(idx, int):
                result, found = data, hit
            else:
                here = idx == vi
                result = data if result is None else np.where(here, data, result)
                found = np.where(here, hit, False if found is None else found)
        return Num(result, out_scale, _or(bad, _mask(np.logical_not(found))), bound)

    def aggregate(self, e: ast.Aggregate, scope: _Scope):
        src = self.eval(e.source, scope)
        if not isinstance(src, Lst) or scope.lst is not None:
            raise Unsupported("aggregat over noe annet enn en liste i søknaden")
        counts = np.diff(src.offsets)
        if e.var is None:
            return Num(counts, 0, src.bad, int(counts.max()) if counts.size else 0)
        inner = _Scope(src, {e.var: src.element}, scope)
        longest = int(counts.max()) if counts.size else 0
        if e.kind in ("finnes", "alle"):
            w = self.eval(e.where, inner)
            data = np.broadcast_to(np.asarray(w.data, dtype=bool), src.shape)
            hits = _segment_sum(data.astype(np.int64), src.offsets)
            out = hits > 0 if e.kind == "finnes" else hits == counts
            return Bool(out, _or(src.bad, _segment_any(w.bad, src.offsets)))
        mask, mbad = None, None
        if e.where is not None:
            w = self.eval(e.where, inner)
            mask = np.broadcast_to(np.asarray(w.data, dtype=bool), src.shape)
            mbad = w.bad
        if e.kind == "antall":
            count = counts if mask is None else _segment_sum(mask, src.offsets)
            return Num(count, 0, _or(src.bad, _segment_any(mbad, src.offsets)), longest)
        body = self.eval(e.body, inner)
        if isinstance(body, Rat) and _ndim(body.den) == 0:  # one denominator: sum the numerators
            return self._sum_fraction(body, mask, mbad, src, longest)
        body = _fit(exact(body))  # a constant beyond int64: bad on the rows with an element
        values = np.broadcast_to(np.asarray(body.data, dtype=np.int64), src.shape)
        bbad = body.bad if mask is None or body.bad is None else (mask & body.bad)
        if mask is not None:
            values = values * mask
        bound = body.bound * max(longest, 1)
        bad = _or(src.bad, _segment_any(_or(mbad, None if bbad is None else np.broadcast_to(bbad, src.shape)), src.offsets))
        sums, risk = _checked_sum(values, src.offsets, bound)
        return Num(sums, body.scale, _or(bad, risk), min(bound, SAFE))


    def _sum_fraction(self, body: Rat, mask, mbad, src: Lst, longest: int) -> Rat:
        shape = src.shape
        if _huge(body.num):  # a constant beyond int64: bad on the rows with an element
            body = Rat(0, body.den, body.scale, np.bool_(True), body.inexact, 0, body.dbound)
        values = np.broadcast_to(np.asarray(body.num, dtype=np.int64), shape)
        if mask is not None:
            values = values * mask
        sel = (lambda m: m) if mask is None else (lambda m: None if m is None else mask & np.broadcast_to(m, shape))
        bad = _or(src.bad, _segment_any(_or(mbad, sel(body.bad)), src.offsets))
        bound = _nbound(body) * max(longest, 1)
        sums, risk = _checked_sum(values, src.offsets, bound)
        inexact = sel(body.inexact)
        return Rat(sums, int(body.den), body.scale, _or(bad, risk),
                   None if inexact is None else _segment_any(np.broadcast_to(inexact, shape), src.offsets),
                   min(bound, SAFE), int(body.den))


@functools.lru_cache(maxsize=4096)
def _factor(pv: bool, r: int, scale: int, n: int) -> float:
    """The present value of 1 kr a month (`pv`), or the payment on 1 kr, at the yearly rate r / 10**scale
    over n months, computed with the Decimal runtime and rounded once to float64 (once per process)."""
    with localcontext(CONTEXT):
        i = Decimal(r).scaleb(-scale) / runtime.TWELVE
        if i == 0:
            return float(n) if pv else 1.0 / n
        try:  # a rate of −1 200 % or less, or an overflow: the Decimal runtime reports those rows
            q = runtime.discount(i, n)
            return float((1 - q) / i) if pv else float(i / (1 - q))
        except runtime.EvaluationError as e:
            raise Unsupported(f"annuitet eller nåverdi: {e}") from None


def _months(years: Num):
    """A term in whole months, the rows where it is not positive (counted as one month and bad), and the
    months that occur (for a term per row)."""
    months = np.asarray(years.data) * 12
    if years.scale:
        months //= _pow10(years.scale)
    low = None
    if (months.min() if months.size else 1) <= 0:
        low = _mask(months <= 0)
        months = np.maximum(months, 1)
    if not months.ndim:
        return months, low, None
    flat = months.ravel()
    longest = int(flat.max()) if flat.size else 0
    if flat.size and _indexable(longest, flat.size):
        seen = np.zeros(longest + 1, dtype=bool)
        seen[flat] = True  # a scatter of one value: several times faster than np.bincount
        return months, low, np.flatnonzero(seen)
    return months, low, np.unique(flat)


def _indexable(longest: int, rows: int) -> bool:
    """Whether an array indexed by the term in months (bincount, a factor table) is small beside the rows: it is
    fastest for terms of a few hundred months, and a term per row can be of any length."""
    return longest <= 4 * rows + 4096


def _fact_path(e, bound: frozenset) -> tuple | None:
    """`a.b.c` as the path of a fact of the søknad, when it is one (not a list element's)."""
    if isinstance(e, ast.Name):
        return None if e.name in bound else (e.name,)
    if isinstance(e, ast.Attribute):
        parent = _fact_path(e.obj, bound)
        return None if parent is None else (*parent, e.name)
    return None


def _bound_names(scope: _Scope) -> frozenset:
    names: set = set()
    while scope is not None:
        names |= scope.names.keys()
        scope = scope.outer
    return frozenset(names)


LOOKUP_SPAN = 4096  # a key whose values span at most this many integers is looked up in the table over them


def _domain(key):
    """A table key column as indices into a small domain of its values, and that domain as a column of
    its own (an enum's codes, or integers over a short range); None when the range is large."""
    if isinstance(key, Cat) and _ndim(key.data):
        return key.data, Cat(np.arange(len(key.values)), key.values)
    if isinstance(key, Num) and _ndim(key.data) and key.data.size:
        lo, hi = int(key.data.min()), int(key.data.max())
        if hi - lo <= LOOKUP_SPAN:
            lo = min(lo, 0) if hi <= LOOKUP_SPAN else lo  # from 0 when it can: no pass to shift the keys
            return key.data - lo if lo else key.data, Num(np.arange(lo, hi + 1), key.scale, None, max(abs(lo), abs(hi)))
    return None


def _table_version(version, keys: list, out_scale: int):
    """One version of a table at the keys: the value of the first row that matches (0 where none does) and
    where one did; a row whose key may not have been compared exactly (scaled to a bound's decimals beyond
    int64) counts as not found, so the fallback decides it."""
    shape = np.broadcast_shapes(*(np.shape(k.data) for k in keys))
    data, hit, bad = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=bool), None
    for row_keys, value in reversed(version.rows):
        m = True
        for rk, k in zip(row_keys, keys):
            km, kbad = _key_match(rk, k)
            m, bad = np.logical_and(m, km), _or(bad, kbad)
        v = _scaled(decimal_num(value), out_scale).data
        if _huge(v):  # beyond int64: the rows it is the value of count as not found (the fallback decides them)
            hit = hit & np.logical_not(m)
            continue
        data = _pick(m, v, data)
        hit = hit | m
    return data, hit if bad is None else hit & np.logical_not(bad)


def _key_match(row_key, key):
    """Where the column `key` lies in one dimension's row key (a text, or an inclusive integer range), and the
    rows where that may be wrong: a key scaled to a bound's decimals beyond int64 (`_align` marks them)."""
    if isinstance(row_key, tuple):
        low, high = row_key
        m, bad = True, None
        k = exact(key)
        if low is not None:
            a, b = _align(k, decimal_num(low))
            m, bad = np.logical_and(m, a.data >= b.data), _or(a.bad, b.bad)
        if high is not None:
            a, b = _align(k, decimal_num(high))
            m, bad = np.logical_and(m, a.data <= b.data), _or(bad, _or(a.bad, b.bad))
        return m, bad
    if isinstance(row_key, str):
        if not isinstance(key, Cat):
            raise Unsupported("tekstnøkkel for et tall")
        return (np.asarray(key.data) == key.values.index(row_key) if row_key in key.values else np.bool_(False)), None
    if isinstance(row_key, Decimal):
        a, b = _align(exact(key), decimal_num(row_key))
        return a.data == b.data, _or(a.bad, b.bad)
    raise Unsupported("tabellnøkkel av ukjent slag")


def _constant(v):
    if isinstance(v, Ratio):
        return Frac(decimal_num(v.numerator), decimal_num(v.denominator))
    if isinstance(v, bool):
        return Bool(np.bool_(v))
    if isinstance(v, frozenset):
        return Sets((v,), 0)
    if isinstance(v, str):
        return Cat(0, (v,))
    if isinstance(v, dt.date):
        return Day(v.toordinal() - EPOCH)
    if isinstance(v, Decimal):
        return decimal_num(v)
    raise Unsupported(f"verdi av typen {type(v).__name__}")


def _dated(values: list, idx, bad, t: T.Type):
    """The value of a dated parameter per row: `values[idx]`."""
    if isinstance(idx, int) or all(v == values[0] for v in values[1:]):
        v = _constant(values[idx if isinstance(idx, int) else 0])
        return attrs.evolve(v, bad=bad) if bad is not None else v
    first = values[0]
    if isinstance(first, Decimal):
        nums = [decimal_num(v) for v in values]
        s = max(n.scale for n in nums)
        scaled = [_scaled(n, s).data for n in nums]
        huge = np.array([_huge(x) for x in scaled], dtype=bool)
        table = np.array([0 if h else x for x, h in zip(scaled, huge)], dtype=np.int64)
        if huge.any():  # a value beyond int64: bad on the rows it is in force for
            bad = _or(bad, _mask(huge[idx]))
        return Num(table[idx], s, bad, int(np.abs(table).max()))
    if isinstance(first, bool):
        return Bool(np.array(values, dtype=bool)[idx], bad)
    if isinstance(first, frozenset):
        return Sets(tuple(values), idx, bad)
    if isinstance(first, Ratio):
        nums = _dated([v.numerator for v in values], idx, None, t)
        dens = _dated([v.denominator for v in values], idx, None, t)
        return Frac(nums, dens, bad)
    if isinstance(first, str):
        options = tuple(dict.fromkeys(values))
        return Cat(np.array([options.index(v) for v in values])[idx], options, bad)
    raise Unsupported(f"datert verdi av typen {type(first).__name__}")


def multiply(a: Num, b: Num) -> Num:
    bound = a.bound * b.bound
    data, risk = _checked_mul(a.data, b.data, bound)
    return Num(data, a.scale + b.scale, _or(_or(a.bad, b.bad), risk), _new_bound(data, bound))


_COMPARE = {"=": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
            ">=": np.greater_equal}


def compare(op: str, a, b) -> Bool:
    if isinstance(a, Cat) or isinstance(b, Cat):
        if not (isinstance(a, Cat) and isinstance(b, Cat)):
            raise Unsupported("sammenligning av tekst med noe annet")
        if op not in ("=", "!="):
            raise Unsupported("ordning av tekst")
        values = tuple(dict.fromkeys(a.values + b.values))
        x = _recode(a, values)
        y = _recode(b, values)
        eq = x == y
        return Bool(eq if op == "=" else np.logical_not(eq), _or(a.bad, b.bad))
    if isinstance(a, Rat) or isinstance(b, Rat):
        return rat_compare(op, as_rat(a), as_rat(b))
    if isinstance(a, (Bool, Day)):
        x, y = a.data, b.data
    else:
        a, b = _align(exact(a), exact(b))
        x, y = a.data, b.data
    result = _COMPARE[op](x, y)
    return Bool(result, _or(a.bad, b.bad))


def _pick(cond, x, y):
    """Integers: `x` where `cond` holds, else `y`, as `y + (x − y) · cond` (a product when one side is 0).

    `np.where` with a condition that varies from row to row costs several times as much. The
    difference may wrap around int64; the sum is exact modulo 2**64, so it is `x` or `y` exactly.
    Where the condition is the same on every row, the side it picks is the result (a read-only view)."""
    if np.size(cond) and _ndim(cond) and (not cond.any() or cond.all()):
        side = x if cond.flat[0] else y
        return np.broadcast_to(np.asarray(side, dtype=np.int64), np.broadcast_shapes(np.shape(cond), np.shape(x),
                                                                                       np.shape(y)))
    if _ndim(y) == 0 and y == 0:
        return x * cond
    if _ndim(x) == 0 and x == 0:
        return y * np.logical_not(cond)
    if _ndim(cond) == 0:
        return np.where(cond, x, y)
    d = np.subtract(x, y, dtype=np.int64)
    if _ndim(d) and np.shape(d) == np.shape(cond):
        d *= cond
        d += y
        return d
    return d * cond + y


def _recode(c: Cat, values: tuple):
    if c.values == values[:len(c.values)]:
        return c.data
    table = np.array([values.index(v) for v in c.values])
    return np.take(table, c.data)  # faster than indexing with an int16 array


def _holds(table: np.ndarray, codes):
    """`table[codes]` for a boolean table over the codes of a text or enum column. When one or two codes are
    true (or false), one or two comparisons at the codes' own width: a lookup widens every code to intp."""
    true, false = np.flatnonzero(table).tolist(), np.flatnonzero(np.logical_not(table)).tolist()
    if not true or not false:
        return np.full(np.shape(codes), bool(true))
    if len(true) <= 2:
        return functools.reduce(np.logical_or, (np.equal(codes, t) for t in true))
    if len(false) <= 2:
        return functools.reduce(np.logical_and, (np.not_equal(codes, f) for f in false))
    return np.take(table, codes)  # faster than indexing with an int16 array


def member(v, options: frozenset) -> Bool:
    if not isinstance(v, Cat):
        raise Unsupported("«i» for noe annet enn tekst")
    return Bool(_holds(np.array([x in options for x in v.values], dtype=bool), v.data), v.bad)


def member_sets(v, c: Sets) -> Bool:
    if not isinstance(v, Cat):
        raise Unsupported("«i» for noe annet enn tekst")
    table = np.array([[x in s for x in v.values] for s in c.sets], dtype=bool)
    if _ndim(c.index) == 0:  # one set for the batch: a lookup in one row of the table
        return Bool(_holds(table[int(c.index)], v.data), _or(v.bad, c.bad))
    return Bool(table[c.index, v.data], _or(v.bad, c.bad))


def choose(c: Bool, a, b):
    cond = c.data
    if isinstance(a, Approx) or isinstance(b, Approx):
        raise Unsupported("nåverdi eller annuitet i et hvis-uttrykk uten avrunding")
    if isinstance(a, Rat) or isinstance(b, Rat):
        r = rat_choose(cond, as_rat(a), as_rat(b))
        r.bad = _or(r.bad, c.bad)
        return r
    if isinstance(a, Num) or isinstance(b, Num):
        a, b = _align(exact(a), exact(b))
        data, huge = _pick_fitted(cond, a.data, b.data)
        return Num(data, a.scale, _or(_or(c.bad, huge), _sel(cond, a.bad, b.bad)),
                   _new_bound(data, max(a.bound, b.bound)))
    bad = _or(c.bad, _sel(cond, a.bad, b.bad))
    match a:
        case Bool():
            return Bool(_either(cond, a.data, b.data), bad)
        case Cat():
            values = tuple(dict.fromkeys(a.values + b.values))
            return Cat(np.where(cond, _recode(a, values), _recode(b, values)), values, bad)
        case Day():
            return Day(np.where(cond, a.data, b.data), bad)
    raise Unsupported("hvis-uttrykk av denne typen")


# ---- decisions -----------------------------------------------------------------------------


@attrs.define
class CriterionColumn:
    """One criterion's result over the batch: codes into `RESULTS` (-1: not part of the row's scheme)."""

    id: str
    title: str
    kind: str
    results: np.ndarray
    letters: np.ndarray  # index into `exceptions` for `unntak`, else -1
    exceptions: tuple[str, ...]


@attrs.define
class BatchResult:
    """The decisions of a batch: codes and exact amounts in øre, one entry per row.

    `fallback` marks rows decided by the Decimal backend, `rechecked` rows where a float
    rounding fell within the guard band and was recomputed exactly, `errors` rows that could
    not be decided at all (row → message), `unsupported` why a whole scheme fell back.
    """

    n: int
    outcomes: tuple[str, ...]
    utfall: np.ndarray  # index into outcomes; -1 for an error
    criteria: dict[str, CriterionColumn]
    amounts: dict[str, np.ndarray]  # øre, rounded half up to whole øre as the vedtak writes them
    rente: np.ndarray | None  # the rate in hundredths of a percent (5.00 % → 500)
    nedbetalingstid: np.ndarray | None
    scheme_names: tuple[str, ...]
    scheme_index: np.ndarray  # per row: its scheme in scheme_names
    fallback: np.ndarray
    rechecked: np.ndarray
    errors: dict[int, str]
    unsupported: dict[str, str]
    conditions: dict[str, tuple[tuple[str, str], ...]]
    missing: dict[int, str] = attrs.field(factory=dict)  # row → the facts still missing («, »-separated)
    # amount (or "rente", "nedbetalingstid_år") → rows where the decision has no such value (it waits for facts)
    absent: dict[str, np.ndarray] = attrs.field(factory=dict)
    # rows the arrays found ikke_avgjort, decided again by the Decimal backend only to list what is
    # missing (`mangler`), all but those that wait for one fact alone (`_lone_facts`); in `fallback` too
    for_mangler: np.ndarray | None = None

    def has(self, key: str, i: int) -> bool:
        a = self.absent.get(key)
        return a is None or not a[i]

    def outcome(self, i: int) -> str | None:
        code = int(self.utfall[i])
        return None if code < 0 else self.outcomes[code]

    def record(self, i: int) -> dict[str, Any]:
        """Row `i` in the shape of `decision_record`: what the exactness tests compare."""
        if i in self.errors:
            return {"feil": self.errors[i]}
        out: dict[str, Any] = {"utfall": self.outcome(i),
                               "beløp": {k: ore_text(int(v[i])) for k, v in self.amounts.items() if self.has(k, i)}}
        if self.rente is not None and self.has("rente", i):
            out["rente"] = hundredths_text(int(self.rente[i]))
        if self.nedbetalingstid is not None and self.has("nedbetalingstid_år", i):
            out["nedbetalingstid_år"] = int(self.nedbetalingstid[i])
        out["vilkår"] = [(c.id, RESULTS[r], c.exceptions[c.letters[i]] if r == UNNTAK else None)
                         for c in self.criteria.values() if (r := int(c.results[i])) >= 0]
        granted = out["utfall"] != "avslag"
        out["betingelser"] = list(self.conditions[self.scheme_names[self.scheme_index[i]]]) if granted else []
        return out


def decision_record(d) -> dict[str, Any]:
    """The same summary of a Decimal `Decision` (outcome, amounts as vedtak writes them, results)."""
    j = d.to_dict(letter=False)
    out: dict[str, Any] = {"utfall": j["utfall"], "beløp": j["beløp"]}
    if "rente" in j:
        out["rente"] = j["rente"]
    if "nedbetalingstid_år" in j:
        out["nedbetalingstid_år"] = j["nedbetalingstid_år"]
    out["vilkår"] = [(c.id, c.resultat, c.unntak) for c in d.vilkår]
    out["betingelser"] = list(d.betingelser)
    return out


def ore_text(ore: int) -> str:
    """Øre as vedtak.md writes money: "2973590" or "23932.50"."""
    sign = "-" if ore < 0 else ""
    kr, o = divmod(abs(ore), 100)
    return f"{sign}{kr}" if o == 0 else f"{sign}{kr}.{o:02d}"


def hundredths_text(h: int) -> str:
    sign = "-" if h < 0 else ""
    whole, part = divmod(abs(h), 100)
    return f"{sign}{whole}.{part:02d}"


def _truncated(v, out=None) -> Num:
    """Whole units toward zero, as `int()` of the Decimal (a Rat exactly at a whole number it is inexact at is bad),
    written into `out` when given."""
    r = as_rat(v)
    scale = _pow10(r.scale)
    f, risk = _ctimes(r.den, scale, _dbound(r) * scale)
    bad = _or(r.bad, risk)
    if _both_fixed(r.num, f):  # Python integers, any size
        num, f = int(r.num), int(f)
        q = -(-num // f) if num < 0 else num // f
        if r.inexact is not None and num % f == 0:
            bad = _or(bad, np.bool_(True))
        return Num(q, 0, bad, abs(q))
    if _huge(r.num):  # a constant beyond int64 over a denominator per row
        r, bad = Rat(0, f, 0), _or(bad, np.bool_(True))
    num = np.asarray(r.num)
    if _huge(f):  # |num| < f: 0 toward zero, a whole number only at 0
        q = np.multiply(num, 0, out=out)
        edge = lambda x, d: x == 0  # noqa: E731
    else:
        negative = num < 0
        # toward zero: ⌈num / f⌉ below 0
        q = _fdiv(num + (f - 1) * negative, f, out) if negative.any() else _fdiv(num, f, out)
        edge = lambda x, d: x % d == 0  # noqa: E731
    if r.inexact is not None:
        rows, shape, x, d = _rows_of(r.inexact, num, f)
        bad = _or(bad, _rows_mask(shape, rows[edge(x, d)]))
    return Num(q, 0, bad)


def _full(mask, n: int) -> np.ndarray:
    if mask is None:
        return np.zeros(n, dtype=bool)
    return np.broadcast_to(mask, (n,))


MAX_COMPLETIONS = 256  # completions of a criterion or an amount tried as arrays; beyond, the rows fall back
BUDGET_NODES = 255  # partial.BUDGET − 1: a row whose tree of completions may be larger falls back
IKKE_VURDERT = 4


def _criterion(ev: Evaluator, crit, n: int):
    """One criterion over the rows: result codes, first exception that holds, bad rows, and per
    exception (in order) whether it holds and its bad rows."""
    cond = ev.eval(crit.condition, _Scope())
    letters = np.full(n, -1, dtype=np.int8)  # the first exception that holds
    tail, hit_any, hits = None, False, []
    for j in reversed(range(len(crit.exceptions))):
        e = ev.eval(crit.exceptions[j].condition, _Scope())
        hit = np.broadcast_to(np.asarray(e.data, dtype=bool), (n,))
        letters += hit * (np.int8(j) - letters)  # int8 arithmetic: far faster than np.where
        hit_any = hit_any | hit
        tail = _or(e.bad, _and_mask(np.logical_not(hit), tail))
        hits.insert(0, (hit, e.bad))
    unmet = np.broadcast_to(np.logical_not(np.asarray(cond.data, dtype=bool)), (n,))
    res = unmet.astype(np.int8)  # OPPFYLT 0, IKKE_OPPFYLT 1, UNNTAK 2, IKKE_RELEVANT 3
    if crit.exceptions:
        res += unmet & hit_any
    cbad = _or(cond.bad, _and_mask(unmet, tail))
    if crit.relevance is not None:
        rel = ev.eval(crit.relevance, _Scope())
        relevant = np.broadcast_to(np.asarray(rel.data, dtype=bool), (n,))
        res |= np.logical_not(relevant) * np.int8(IKKE_RELEVANT)
        cbad = _or(rel.bad, _and_mask(relevant, cbad))
    return res, letters, cbad, hits


def _assignments(ev: Evaluator, facts: list[tuple]):
    """Every joint value of the open facts (each a completion of every row that misses some of them)."""
    domains = [ev.open[p].domain for p in facts]
    return [dict(zip(facts, values)) for values in itertools.product(*domains)]


def _over_budget(ev: Evaluator, facts: list[tuple], n: int):
    """Rows whose missing facts could make the Decimal backend's tree of completions exceed its budget
    (`partial.completions`): level k of the tree has at most the product of the k largest domains.
    Worked out once per evaluator and set of facts (the criteria and amounts that read them share it)."""
    key = tuple(facts)
    if key not in ev.over_budget:
        ev.over_budget[key] = _rows_over_budget(ev, facts, n)
    return ev.over_budget[key]


def _rows_over_budget(ev: Evaluator, facts: list[tuple], n: int):
    code = np.zeros(n, dtype=np.int64)
    for i, p in enumerate(facts):
        code |= np.broadcast_to(ev.open[p].missing, (n,)).astype(np.int64) << i
    over = np.zeros(1 << len(facts), dtype=bool)
    for pattern in np.flatnonzero(np.bincount(code, minlength=len(over))):
        sizes = sorted((len(ev.open[p].domain) for i, p in enumerate(facts) if pattern >> i & 1), reverse=True)
        nodes, level = 1, 1
        for size in sizes:
            level *= size
            nodes += level
        over[pattern] = nodes > BUDGET_NODES
    return _mask(over[code]) if over.any() else None


def _settled(ev: Evaluator, crit, facts: list[tuple], n: int):
    """A criterion that may read open facts, as `partial.settle` decides it: over every completion
    of each row, the result they all give; met whichever way, `unntak` with the first exception that
    holds in every completion, else `oppfylt`; otherwise `ikke_vurdert`."""
    runs = [_criterion(ev.under(a), crit, n) for a in _assignments(ev, facts)]
    res0 = runs[0][0]
    key0 = res0 * np.int8(16) + np.where(res0 == UNNTAK, runs[0][1], np.int8(-1))
    same = np.ones(n, dtype=bool)
    met = np.ones(n, dtype=bool)
    bad = _over_budget(ev, facts, n)
    for res, letters, cbad, _ in runs:
        same &= (res * np.int8(16) + np.where(res == UNNTAK, letters, np.int8(-1))) == key0
        met &= (res == OPPFYLT) | (res == UNNTAK)
        bad = _or(bad, cbad)
    mixed = met & ~same
    out = np.where(same, res0, np.where(mixed, np.int8(OPPFYLT), np.int8(IKKE_VURDERT))).astype(np.int8)
    letters = np.where(same & (res0 == UNNTAK), runs[0][1], np.int8(-1)).astype(np.int8)
    if mixed.any():
        for j in reversed(range(len(crit.exceptions))):  # the first exception that holds in every completion
            held = mixed.copy()
            for _, _, _, hits in runs:
                held &= hits[j][0]
                bad = _or(bad, _and_mask(mixed, hits[j][1]))
            out[held] = UNNTAK
            letters[held] = j
    return out, letters, bad


class _SchemeRun:
    """The arrays of one scheme over (part of) the batch.

    Facts not yet given or assessed (`OpenFact`) are settled as the Decimal backend settles them
    (`evaluation.partial`, `decision.conclude`): a criterion or an amount that may read one is
    evaluated under every completion (as arrays, one pass per joint value of the open facts it
    reads) and decided where they agree; rows it cannot settle so fall back.
    """

    def __init__(self, policy: CheckedPolicy, scheme: SchemeDef, batch: Batch, into: dict | None = None):
        """`into`: arrays (views of the result columns) the vedtak's values are written into, by key."""
        ev = Evaluator(policy, scheme, batch)
        n = batch.n
        bad = batch.bad
        self.criteria = []
        for crit in scheme.criteria:
            exprs = [crit.condition, crit.relevance, *(e.condition for e in crit.exceptions)]
            facts = sorted(frozenset().union(*(ev.reads(x) for x in exprs)))
            if facts and _product(ev, facts) <= MAX_COMPLETIONS:
                res, letters, cbad = _settled(ev, crit, facts, n)
            else:  # no open fact, or too many completions: a row that reads a missing fact is bad
                res, letters, cbad, _ = _criterion(ev, crit, n)
            bad = _or(bad, cbad)
            self.criteria.append((crit, res, letters))
        outcomes = tuple(dict.fromkeys([policy.outcome_default] + [r.outcome for r in policy.outcome_rules]
                                       + ["innvilget", "avslag", "manuell_vurdering", "ikke_avgjort"]))
        undecided = np.int8(outcomes.index("ikke_avgjort"))
        utfall = np.full(n, outcomes.index(policy.outcome_default), dtype=np.int8)
        for rule in reversed(policy.outcome_rules):  # avslag > ikke_avgjort > manuell_vurdering > innvilget
            failed = np.zeros(n, dtype=bool)
            waiting = None
            for crit, res, _ in self.criteria:
                if crit.kind == rule.kind:
                    failed |= res == IKKE_OPPFYLT
                    if ev.open:
                        waiting = _or(waiting, _mask(res == IKKE_VURDERT))
            if waiting is not None:
                utfall += waiting * (undecided - utfall)
            utfall += failed * (np.int8(outcomes.index(rule.outcome)) - utfall)
        self.outcomes = outcomes
        values, absent, vbad = self._values(ev, policy, n, Cat(utfall, outcomes), into)
        if absent:  # a grant whose terms wait for a fact is not decided
            waits = functools.reduce(np.logical_or, absent.values())
            grant = waits & (utfall != outcomes.index("avslag")) & (utfall != undecided)
            if grant.any():
                utfall = np.where(grant, undecided, utfall).astype(np.int8)
                values, absent, vbad = self._values(ev, policy, n, Cat(utfall, outcomes), into)
        self.utfall, self.values, self.absent, self.wrote = utfall, values, absent, into is not None
        self.bad = _full(_or(bad, vbad), n)
        self.rechecked = ev.rechecked
        self.lone = _lone_facts(ev, scheme, policy, n)

    @staticmethod
    def _values(ev: Evaluator, policy: CheckedPolicy, n: int, utfall: Cat, into: dict | None):
        """The vedtak's values as vedtak.md writes them (øre, rate × 10 000, whole years), written into `into`
        when given; an amount that may read open facts is given where every completion gives the same value,
        else absent."""
        values: dict[str, np.ndarray] = {}
        absent: dict[str, np.ndarray] = {}
        bad = None
        ev.memo["utfall"] = utfall
        for key, expr in policy.decision:
            facts = sorted(ev.reads(expr))
            if facts and _product(ev, facts) <= MAX_COMPLETIONS:
                outs, children = [], []
                for a in _assignments(ev, facts):
                    child = ev.under(a)
                    child.memo["utfall"] = utfall
                    outs.append(child.eval(expr, _Scope()))
                    children.append(child)
                bad = _or(bad, _over_budget(ev, facts, n))
                differ, unsure = None, None
                for o in outs[1:]:
                    equal, o_unsure, risk = _same_value(o, outs[0])
                    bad, unsure = _or(bad, risk), _or(unsure, o_unsure)
                    differ = _or(differ, _mask(np.logical_not(equal)))
                if unsure is not None:  # equal as fractions, but the Decimal values may differ in the 34th digit:
                    # they are the same when every value that depends on the open facts is (the same computation)
                    same = _same_inputs(ev, children, expr, n, {})
                    bad = _or(bad, _mask(np.broadcast_to(unsure, (n,)) & ~same))
                v = outs[0]
                for o in outs[1:]:
                    bad = _or(bad, o.bad)
                if differ is not None:
                    absent[key] = np.broadcast_to(differ, (n,)).copy()
            else:
                v = ev.eval(expr, _Scope())
            if not isinstance(v, (Num, Rat)):
                raise Unsupported(f"vedtaksverdien «{key}» er ikke et tall")
            # a value fixed for the batch (a Python integer, maybe beyond int64 until rounded) is rounded as
            # it is and copied; only an array is rounded straight into its result column
            target = None if into is None else into[key]
            dest = None if _ndim(v.num if isinstance(v, Rat) else v.data) == 0 else target
            if key == "nedbetalingstid_år":
                out = _truncated(v, dest)
            else:
                out = round_value(v, Decimal("0.0001") if key == "rente" else Decimal("0.01"), "halv_opp", dest)
            bad = _or(bad, out.bad)
            data = np.asarray(out.data, dtype=np.int64)
            if target is not None and data is not target:  # a fixed value, or the value as it was (a fact): copied
                np.copyto(target, data)
                data = target
            if key in absent:  # 0 where the value waits for a fact, as where the Decimal backend decided the row
                data = _mul(data, np.logical_not(absent[key]), target)
            values[key] = data if data.shape == (n,) else np.broadcast_to(data, (n,))
        return values, absent, bad


def _lone_facts(ev: Evaluator, scheme: SchemeDef, policy: CheckedPolicy, n: int) -> tuple[np.ndarray, list] | None:
    """Per row, the one open fact the scheme's criteria and amounts may read (statically) that is missing, as
    an index into the paths returned with it (-1: none, or more than one); None when there are none.

    An undecided row with one such fact waits for it alone: the Decimal search for `mangler`
    (`decision.pending`) branches on that fact only, and lists it whichever way its values decide.
    That holds while no fact can be left out (`eller ingen`, `påkrevd når`): the search would branch
    on such a fact too, so a policy with one has no lone facts here."""
    if not ev.open or _has_optional_facts(ev.batch.schema):
        return None
    exprs = [x for c in scheme.criteria for x in (c.condition, c.relevance, *(e.condition for e in c.exceptions))]
    readable = frozenset().union(*(ev.reads(x) for x in exprs), *(ev.reads(expr) for _, expr in policy.decision))
    paths = sorted(ev.open)
    count = np.zeros(n, dtype=np.int16)
    which = np.full(n, -1, dtype=np.int16)
    for j, p in enumerate(paths):
        if p in readable:
            m = np.broadcast_to(ev.open[p].missing, (n,))
            count += m
            which[m] = j
    return np.where(count == 1, which, np.int16(-1)), paths


def _has_optional_facts(record: T.Record) -> bool:
    """Whether a fact provided by someone may also be left out (`eller ingen`, `påkrevd når`), in lists too."""
    for spec in record.fields.values():
        t = spec.type.element if isinstance(spec.type, T.ListOf) else spec.type
        if spec.provided_by is not None and (spec.nullable or spec.required_when is not None):
            return True
        if isinstance(t, T.Record) and _has_optional_facts(t):
            return True
    return False


def _same_value(a, b):
    """Where two values are exactly equal, the rows where that is not sure of their Decimal values (an
    inexact fraction equal to the other), and rows that may have overflowed."""
    if isinstance(a, Rat) or isinstance(b, Rat):
        a, b = as_rat(a), as_rat(b)
        x, y, _, _, risk, _, _, _ = rat_align(a, b)
        equal = np.equal(x, y)
        inexact = _or(a.inexact, b.inexact)
        return equal, None if inexact is None else _mask(inexact & equal), risk
    if isinstance(a, Num) or isinstance(b, Num):
        a, b = _align(exact(a), exact(b))
        return np.equal(a.data, b.data), None, None
    if isinstance(a, (Bool, Day)) and type(a) is type(b):
        return np.equal(a.data, b.data), None, None
    if isinstance(a, Cat) and isinstance(b, Cat):
        values = tuple(dict.fromkeys(a.values + b.values))
        return np.equal(_recode(a, values), _recode(b, values)), None, None
    raise Unsupported("sammenligning av verdier av denne typen")


def _reads_directly(ev: Evaluator, expr) -> bool:
    """Whether an expression reads an open fact itself (not only through the computations it names)."""
    return any(_fact_path(x, frozenset()) in ev.open for x in ast.walk(expr))


def _same_inputs(ev: Evaluator, children: list, expr, n: int, seen: dict) -> np.ndarray:
    """Rows where `expr` is the same computation on the same inputs in every completion, so that its
    Decimal value is the same too: it reads no open fact itself, and each computation it names that
    reads one has exactly the same value (no inexact fraction) in all of them, or is such a computation."""
    if _reads_directly(ev, expr):
        return np.zeros(n, dtype=bool)
    same = np.ones(n, dtype=bool)
    for name in {x.name for x in ast.walk(expr) if isinstance(x, ast.Name) and x.name in ev.scheme.computations}:
        if not ev.reads(ast.Name(name)) or not all(name in c.memo for c in children):
            continue  # shared by every completion, or not computed (then not read)
        if name not in seen:
            first, m = children[0].memo[name], np.ones(n, dtype=bool)
            for c in children[1:]:
                try:
                    equal, unsure, risk = _same_value(c.memo[name], first)
                except Unsupported:
                    m = np.zeros(n, dtype=bool)
                    break
                m &= np.broadcast_to(equal, (n,))
                for bad in (unsure, risk, getattr(first, "inexact", None), getattr(c.memo[name], "inexact", None)):
                    if bad is not None:
                        m &= ~np.broadcast_to(bad, (n,))
            seen[name] = m | _same_inputs(ev, children, ev.scheme.computations[name].expr, n, seen)
        same &= seen[name]
    return same


def _operands(e) -> list:
    """The expressions directly under `e` (a tuple of them, such as a lookup's keys, flattened)."""
    return [y for x in ast.children(e) for y in (x if isinstance(x, tuple) else (x,)) if isinstance(y, ast.Expr)]


def _product(ev: Evaluator, facts: list[tuple]) -> int:
    size = 1
    for p in facts:
        size *= len(ev.open[p].domain)
    return size


class _Columns:
    """The result arrays of `evaluate`, filled run by run (a run is one scheme over a slice or some rows)."""

    def __init__(self, n: int, keys: list[str], bad):
        self.n = n
        self.outcomes: tuple[str, ...] = ("innvilget", "avslag", "manuell_vurdering")
        self.utfall = np.full(n, -1, dtype=np.int8)
        self.criteria: dict[str, CriterionColumn] = {}
        # amounts, "rente" and "nedbetalingstid_år"; not zeroed: every run writes every value, `finish` zeroes the rest
        self.values = {key: np.empty(n, dtype=np.int64) for key in keys}
        self.fallback = np.zeros(n, dtype=bool) if bad is None else np.broadcast_to(bad, (n,)).copy()
        self.rechecked = np.zeros(n, dtype=bool)
        self.unsupported: dict[str, str] = {}
        self.absent: dict[str, np.ndarray] = {}
        self.written = np.zeros(n, dtype=bool)  # rows a run gave values for (the others hold 0, see `finish`)
        self.lone = np.full(n, -1, dtype=np.int16)  # the one missing fact a row may wait for (`_lone_facts`)
        self.lone_texts: list[str] = []  # … as the index of its text here

    def column(self, crit) -> None:
        if crit.id not in self.criteria:
            self.criteria[crit.id] = CriterionColumn(
                crit.id, crit.title, crit.kind, np.full(self.n, -1, dtype=np.int8),
                np.full(self.n, -1, dtype=np.int8), tuple(e.letter for e in crit.exceptions))

    def into(self, rows) -> dict | None:
        """The value columns at a slice of rows, for a run to write into (None for rows picked one by one)."""
        return {key: v[rows] for key, v in self.values.items()} if isinstance(rows, slice) else None

    def store(self, rows, run: "_SchemeRun", whole: bool) -> None:
        """Put a run's arrays at `rows`, its values unless it wrote them there itself (`into`). A run over
        the whole batch hands its outcome and results over instead."""
        self.outcomes = tuple(dict.fromkeys(self.outcomes + run.outcomes))
        remap = np.array([self.outcomes.index(o) for o in run.outcomes], dtype=np.int8)
        self.fallback[rows] |= run.bad
        self.rechecked[rows] |= run.rechecked
        same = bool((remap == np.arange(len(remap))).all())
        if whole:
            self.utfall = run.utfall if same else remap[run.utfall]
            for crit, res, letters in run.criteria:
                self.criteria[crit.id].results, self.criteria[crit.id].letters = res, letters
        else:
            self.utfall[rows] = run.utfall if same else remap[run.utfall]
            for crit, res, letters in run.criteria:
                self.criteria[crit.id].results[rows] = res
                self.criteria[crit.id].letters[rows] = letters
        if not run.wrote:
            for key, v in run.values.items():
                self.values[key][rows] = v
        self.written[rows] = True
        if run.lone is not None:
            which, paths = run.lone
            codes = []
            for p in paths:
                text = format_path(p)
                if text not in self.lone_texts:
                    self.lone_texts.append(text)
                codes.append(self.lone_texts.index(text))
            self.lone[rows] = np.array(codes + [-1], dtype=np.int16)[which]  # -1 picks the last: none
        for key, gone in run.absent.items():
            self.absent.setdefault(key, np.zeros(self.n, dtype=bool))[rows] = gone

    def finish(self):
        """The amounts, the rates and the terms (zeros where no run gave them: the fallback fills those)."""
        if not self.written.all():
            unwritten = np.logical_not(self.written)
            for v in self.values.values():
                v[unwritten] = 0
        amounts = {k: v for k, v in self.values.items() if k not in ("rente", "nedbetalingstid_år")}
        return amounts, self.values.get("rente"), self.values.get("nedbetalingstid_år")


CHUNK = 1 << 18  # rows per pass: the columns of a chunk stay in the processor's cache between operations


def evaluate(policy: CheckedPolicy, batch: Batch, decide_row: Callable[[dict], Any],
             error_types: tuple = (Exception,), mangler: bool = False) -> BatchResult:
    """Decide every row of `batch`; rows the arrays cannot decide go to `decide_row` (a Decimal backend).

    The arrays run over slices of `CHUNK` rows (views of the batch's columns), scheme by scheme.
    With `mangler`, a row the arrays find `ikke_avgjort` is decided by `decide_row` too, for the
    list of facts it waits for (`BatchResult.for_mangler`), unless one fact alone may be read and is
    missing: the list is that fact (`_lone_facts`). Freed arrays are kept for reuse
    (`heap.keep_freed_memory`): fresh pages cost more than the arithmetic on them."""
    n = batch.n
    heap.keep_freed_memory()
    ordning_field = batch.root.fields.get("ordning")
    if ordning_field is not None:
        codes, values = np.asarray(ordning_field.value.data), ordning_field.value.values
        scheme_of_code = [policy.scheme_for(v) for v in values]
    else:
        codes, scheme_of_code = np.zeros(n, dtype=np.int16), [policy.scheme_for("")]
    scheme_names = tuple(dict.fromkeys(s.id for s in scheme_of_code))
    if len(scheme_names) == 1:  # one scheme for every row: no pass over the codes
        scheme_index = np.zeros(n, dtype=np.int16)
    else:
        scheme_index = np.array([scheme_names.index(s.id) for s in scheme_of_code], dtype=np.int16)[codes]
    schemes = {s.id: s for s in scheme_of_code}
    keys = [k for k, _ in policy.decision]
    out = _Columns(n, keys, batch.bad)
    present = np.flatnonzero(np.bincount(scheme_index, minlength=len(scheme_names))) if len(scheme_names) > 1 else (
        np.zeros(1 if n else 0, dtype=np.int64))
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        here = scheme_index[start:stop]
        for code in present if len(present) == 1 else np.flatnonzero(np.bincount(here, minlength=len(scheme_names))):
            scheme = schemes[scheme_names[code]]
            if len(present) == 1:
                rows = slice(start, stop)
            else:
                rows = start + np.flatnonzero(here == code)
            for crit in scheme.criteria:
                out.column(crit)
            try:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    whole = isinstance(rows, slice) and rows.start == 0 and rows.stop == n
                    run = _SchemeRun(policy, scheme, batch if whole else batch.take(rows), out.into(rows))
            except Unsupported as e:
                out.unsupported.setdefault(scheme.id, str(e))
                out.fallback[rows] = True
                continue
            out.store(rows, run, n <= CHUNK and len(present) == 1)
    utfall, criteria = out.utfall, out.criteria
    amounts, rente, term = out.finish()
    fallback, rechecked, unsupported, outcomes = out.fallback, out.rechecked, out.unsupported, out.outcomes
    for_mangler = np.zeros(n, dtype=bool)
    missing: dict[int, str] = {}
    if mangler and "ikke_avgjort" in outcomes:
        undecided = (utfall == outcomes.index("ikke_avgjort")) & ~fallback
        lone = undecided & (out.lone >= 0)
        missing = dict(zip(np.flatnonzero(lone).tolist(), [out.lone_texts[k] for k in out.lone[lone].tolist()]))
        for_mangler = undecided & ~lone
        fallback |= for_mangler
    conditions = {s.id: tuple((c.id, c.text) for c in s.conditions) for s in scheme_of_code}
    errors: dict[int, str] = {}
    rows = np.flatnonzero(fallback)
    decided = []
    for i, facts in zip(rows.tolist(), batch.rows_facts(rows) if rows.size else []):
        try:
            decided.append((i, decide_row(facts)))
        except error_types as e:
            errors[i] = str(e)
            utfall[i] = -1
    missing.update((i, ", ".join(m.opplysning for m in d.mangler)) for i, d in decided if getattr(d, "mangler", ()))
    absent = out.absent
    for i, d in decided:  # a row the columns could not read has its scheme from the decision, not the placeholders
        scheme = policy.scheme_for(d.ordning)
        if scheme.id not in scheme_names:
            scheme_names += (scheme.id,)
            conditions[scheme.id] = tuple((c.id, c.text) for c in scheme.conditions)
        if scheme_names[scheme_index[i]] != scheme.id:
            scheme_index[i] = scheme_names.index(scheme.id)
        for crit in scheme.criteria:
            out.column(crit)
    if decided:
        outcomes = _store_decisions(decided, outcomes, utfall, criteria, amounts, rente, term, absent)
    return BatchResult(n, outcomes, utfall, criteria, amounts, rente, term, scheme_names, scheme_index, fallback,
                       rechecked & ~fallback, errors, unsupported, conditions, missing, absent, for_mangler)


def _store_decisions(decided, outcomes, utfall, criteria, amounts, rente, term, absent):
    """Put the Decimal backend's decisions of the fallback rows into the result arrays.

    A decision that leaves out an amount (it waits for a fact) marks the row in `absent`."""
    rows = np.array([i for i, _ in decided])
    for _, d in decided:
        if d.utfall not in outcomes:
            outcomes = outcomes + (d.utfall,)
    utfall[rows] = [outcomes.index(d.utfall) for _, d in decided]
    for c in criteria.values():
        c.results[rows] = -1
    for k, (i, d) in enumerate(decided):
        for r in d.vilkår:
            c = criteria.get(r.id)
            if c is None:
                raise Unsupported(f"vilkåret «{r.id}» finnes bare i Decimal-vurderingen")
            c.results[i] = RESULTS.index(r.resultat)
            c.letters[i] = c.exceptions.index(r.unntak) if r.unntak is not None else -1
    cent = Decimal("0.01")
    n = len(utfall)

    def store(key, column, values):
        column[rows] = [0 if v is None else v for v in values]
        gone = [v is None for v in values]
        if any(gone) or key in absent:
            mask = absent.setdefault(key, np.zeros(n, dtype=bool))
            mask[rows] = gone

    with localcontext(CONTEXT):
        for key, column in amounts.items():
            store(key, column, [None if d.beløp.get(key) is None else int(d.beløp[key].quantize(cent).scaleb(2))
                                for _, d in decided])
        if rente is not None:
            store("rente", rente, [None if d.rente is None else int((d.rente * 100).quantize(cent).scaleb(2))
                                   for _, d in decided])
        if term is not None:
            store("nedbetalingstid_år", term, [None if d.nedbetalingstid_år is None else int(d.nedbetalingstid_år)
                                               for _, d in decided])
    return outcomes
