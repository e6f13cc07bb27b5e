"""Student-facing self-checks: a clear verdict and a hint, never the answer.

Use them in visible test cells and while working in Colab::

    from course_utils import checks
    with checks.suite("softmax") as c:
        c.expect(np.allclose(P.sum(axis=1), 1), "each row of a softmax is a probability distribution")
        c.expect_shape(P, (4, 3))
        c.expect_finite(softmax(np.array([[1000.0, 0.0]])), "subtract the row maximum before exp")

A suite prints one line per check and raises ``AssertionError`` listing the hints of the failed
ones, so nbgrader marks the cell failed. Messages only describe *properties* (shape, dtype, sums,
invariances): none of them contains a reference value to copy.
"""

from __future__ import annotations

from contextlib import contextmanager


class CheckFailed(AssertionError):
    pass


def _np(x):
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


class Suite:
    def __init__(self, name: str, verbose: bool = True):
        self.name = name
        self.verbose = verbose
        self.failures: list[str] = []
        self.count = 0

    def _record(self, ok: bool, what: str, hint: str) -> bool:
        self.count += 1
        if not ok:
            self.failures.append(f"{what}: {hint}" if hint else what)
        if self.verbose:
            print(f"  [{'ok' if ok else 'FAIL'}] {what}" + ("" if ok or not hint else f"  (hint: {hint})"))
        return ok

    def expect(self, condition, hint: str = "", what: str | None = None) -> bool:
        return self._record(bool(condition), what or hint or "condition", "" if what is None else hint)

    def expect_shape(self, x, shape, hint: str = "") -> bool:
        got = tuple(getattr(x, "shape", ()))
        return self._record(got == tuple(shape), f"shape is {tuple(shape)}",
                            hint or f"got shape {got}; check which axis you reduce or broadcast over")

    def expect_dtype(self, x, kind: str, hint: str = "") -> bool:
        """``kind``: 'float' or 'int' (NumPy dtype kinds), so float32 and float64 both pass 'float'."""
        dt = _np(x).dtype
        ok = (kind == "float" and dt.kind == "f") or (kind == "int" and dt.kind in "iu")
        return self._record(ok, f"dtype is {kind}", hint or f"got {dt}")

    def expect_close(self, got, expected, hint: str = "", what: str = "values match", rtol=1e-6, atol=1e-8) -> bool:
        import numpy as np

        try:
            ok = np.allclose(_np(got), _np(expected), rtol=rtol, atol=atol)
        except Exception:  # shapes that do not broadcast
            ok = False
        return self._record(ok, what, hint)

    def expect_finite(self, x, hint: str = "") -> bool:
        import numpy as np

        try:
            ok = bool(np.all(np.isfinite(_np(x))))
        except Exception:
            ok = False
        return self._record(ok, "no inf or nan", hint or "look for overflow in exp or a division by zero")

    def expect_unchanged(self, before, after, hint: str = "") -> bool:
        import numpy as np

        return self._record(np.array_equal(_np(before), _np(after)), "input not modified",
                            hint or "work on a copy instead of changing the caller's array in place")

    def result(self):
        if self.failures:
            raise CheckFailed(f"{self.name}: {len(self.failures)} of {self.count} checks failed:\n- "
                              + "\n- ".join(self.failures))
        if self.verbose:
            print(f"{self.name}: all {self.count} checks passed")


@contextmanager
def suite(name: str, verbose: bool = True):
    """A group of checks that raises once, at the end, with every failed hint."""
    s = Suite(name, verbose)
    if verbose:
        print(f"Checking {name}...")
    try:
        yield s
    except NotImplementedError:
        raise
    except CheckFailed:
        raise
    except Exception as exc:  # the student's code crashed inside a check: say so plainly
        s._record(False, "runs without error", f"{type(exc).__name__}: {exc}")
    s.result()


def expect(condition, hint: str):
    """A single check: raise ``AssertionError(hint)`` unless ``condition``."""
    if not condition:
        raise CheckFailed(hint)
