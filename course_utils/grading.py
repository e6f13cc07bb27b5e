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
"""

from __future__ import annotations

_sink = None  # set by the grader's runner inside the sandbox


def record(key: str, value, rtol: float = 1e-7, atol: float = 1e-9, weight: float | None = None):
    """Hand ``value`` to the grader under ``key``; returns ``value`` unchanged.

    ``rtol``/``atol`` are the tolerances for numbers (arrays compare element-wise, and their shape
    and dtype kind must match). ``weight`` asks for partial credit: a cell whose records carry
    weights earns its points in proportion to the weights of the records that match.
    """
    if _sink is not None:
        _sink(key, value, rtol, atol, weight)
    return value
