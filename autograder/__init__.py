"""Instructor tools for the course: release assignments with nbgrader and grade submissions.

The ``dlcourse`` command (``autograder.cli``) is the entry point; ``nbgrader_config.py`` in this
folder holds the course's nbgrader settings.
"""

import sys as _sys

# jsonschema (which nbformat and nbgrader import) imports rfc3987_syntax at start-up, and that module
# compiles ~38 Lark grammars for the "iri" and "iri-reference" string formats: 1.2 s of CPU in every
# dlcourse process that reads a notebook. No notebook, nbgrader or Jupyter schema uses those formats,
# so the module is marked absent and jsonschema leaves those two format checks out, as it does
# wherever the optional package is not installed (python-jsonschema/jsonschema#1428).
_sys.modules.setdefault("rfc3987_syntax", None)
