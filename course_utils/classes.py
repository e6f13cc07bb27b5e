"""Building a class step by step across notebook cells.

A lecture that writes a class with many methods can show it one method at a time (the d2l book's
``add_to_class``): define the class with its constructor in one cell, explain the next step in
markdown, and attach each further method in a cell of its own::

    class Value:
        def __init__(self, data): ...

    @cu.add_to_class(Value)
    def __add__(self, other): ...

The cell's own names are left as they were: after ``@cu.add_to_class(Tensor) def sum(self): ...``
the name ``sum`` still means the builtin (or whatever the notebook had bound to it), so a method may
share its name with a function the notebook uses elsewhere. A method attached this way cannot use
the zero-argument ``super()`` (it needs the class body); write ``super(Value, self)`` there.
"""

from __future__ import annotations

import builtins
import sys


def add_to_class(cls):
    """Decorator: attach the decorated function to ``cls`` under its own name.

    Works for plain functions and for ``property``/``staticmethod``/``classmethod`` objects (their
    name is taken from the wrapped function). The decorator gives back what the name meant before in
    the calling module (its global, else the builtin of that name, else the function itself), so
    attaching a method never rebinds a notebook's own function of the same name.
    """

    def register(obj):
        func = obj.fget if isinstance(obj, property) else getattr(obj, "__func__", obj)
        name = func.__name__
        if not isinstance(obj, (property, staticmethod, classmethod)):
            obj.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, obj)
        caller = sys._getframe(1).f_globals
        if name in caller:
            return caller[name]
        return getattr(builtins, name, obj)

    return register
