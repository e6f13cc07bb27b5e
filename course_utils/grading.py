"""``record``: how a test cell hands a value to the autograder for a trusted verdict.

Student code runs in the same interpreter as the tests, so anything decided inside it (an
``assert``, ``np.allclose``) can be forged by the student's code. A hidden test therefore also
*records* what the student's function returned::

    record("softmax/random", softmax(Z))              # compared outside the student's process
    record("softmax/no mutation", Z, atol=0)

The grader runs the instructor's solution through the same cells, and compares, in its own
process, every recorded value with the reference value under the same key (with the tolerances
given here). A test cell earns its points only when its asserts pass *and* every value it records
matches. Outside the grader (Colab, Jupyter, CI), ``record`` does nothing and returns the value.

Experiments have no single right number, so a record can instead carry a *property* (``check=``)
that the grader tests on the student's value, again in its own process::

    record("base loss", base, check=measured())                        # used by other checks only
    record("adam loss", loss, check=below("base loss", factor=0.5))    # at most half the baseline
    record("losses", curve, check=monotone("decreasing"))
    record("rate", np.stack([N, err]), check=slope(-2.2, -1.8))        # log-log slope of err vs N
    record("claimed", result["err"], check=close_to("recomputed", rtol=1e-6))

The property that counts is the one the instructor's solution recorded under the key: what a
student's run says about it is ignored. Keys named by ``below``/``above``/``close_to`` must be
recorded in the same test cell; record what the test itself recomputes there (from the student's
returned model, knots, curve...), so that a number the student did not measure fails ``close_to``.
"""

from __future__ import annotations

_sink = None  # set by the grader's runner inside the sandbox


def record(key: str, value, rtol: float = 1e-7, atol: float = 1e-9, weight: float | None = None,
           check: dict | None = None):
    """Hand ``value`` to the grader under ``key``; returns ``value`` unchanged.

    ``rtol``/``atol`` are the tolerances for numbers (arrays compare element-wise, and their shape
    and dtype kind must match). ``weight`` asks for partial credit: a cell whose records carry
    weights earns its points in proportion to the weights of the records that match. ``check``
    (from :func:`within`, :func:`below`, ...) replaces the comparison with the reference value by a
    property of the student's value.
    """
    if _sink is not None:
        _sink(key, value, rtol, atol, weight, check)
    return value


def measured() -> dict:
    """Any finite number or array: a value other checks refer to (a baseline, a recomputation)."""
    return {"kind": "measured"}


def within(lo: float | None = None, hi: float | None = None) -> dict:
    """Every element finite and in ``[lo, hi]`` (``None``: unbounded on that side)."""
    return {"kind": "within", "lo": _opt(lo), "hi": _opt(hi)}


def below(key: str, factor: float = 1.0, margin: float = 0.0) -> dict:
    """Every element ``<= factor * other - margin``, ``other`` the value recorded under ``key``."""
    return {"kind": "below", "key": str(key), "factor": float(factor), "margin": float(margin)}


def above(key: str, factor: float = 1.0, margin: float = 0.0) -> dict:
    """Every element ``>= factor * other + margin``, ``other`` the value recorded under ``key``."""
    return {"kind": "above", "key": str(key), "factor": float(factor), "margin": float(margin)}


def monotone(direction: str = "decreasing", tol: float = 0.0, strict: bool = False) -> dict:
    """A 1-D sequence of at least two finite numbers whose every step goes ``direction``
    ("decreasing" or "increasing"), allowing steps the wrong way of at most ``tol``."""
    if direction not in ("decreasing", "increasing"):
        raise ValueError("direction is 'decreasing' or 'increasing'")
    return {"kind": "monotone", "direction": direction, "tol": float(tol), "strict": bool(strict)}


def slope(lo: float, hi: float, log: bool = True) -> dict:
    """A ``(2, n)`` array of x and y (n >= 2) whose least-squares slope of y on x lies in
    ``[lo, hi]``; with ``log`` (the default) the fit is of log y on log x, so x and y must be > 0."""
    return {"kind": "slope", "lo": float(lo), "hi": float(hi), "log": bool(log)}


def close_to(key: str, rtol: float = 1e-7, atol: float = 1e-9) -> dict:
    """Same shape as the value recorded under ``key`` and element-wise within ``atol + rtol*|other|``."""
    return {"kind": "close_to", "key": str(key), "rtol": float(rtol), "atol": float(atol)}


def _opt(x):
    return None if x is None else float(x)
