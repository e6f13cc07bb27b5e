"""What every dlcourse process pays before it grades anything, kept small without changing a result.

- nbgrader asks a new ``alembic`` process for the head revision of its migrations whenever it creates
  a gradebook; dlcourse reads the same revision in-process (autograder/nbgrader_api.py).
- jsonschema, under nbformat, would compile ~38 Lark grammars for two string formats no notebook
  schema uses; autograder marks that optional module absent (autograder/__init__.py).
"""

import subprocess
import sys
from pathlib import Path

from helpers import ROOT

VENV_BIN = str(Path(sys.executable).parent)  # nbgrader's own head lookup runs `alembic` by name


def run_python(code):
    env = {"PATH": VENV_BIN + ":/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_the_alembic_head_read_in_process_is_the_one_alembic_reports():
    out = run_python(
        "import nbgrader.api as api\n"
        "asked = api.get_alembic_version()  # nbgrader's own: runs `alembic heads`\n"
        "from autograder.nbgrader_api import read_alembic_head_in_process\n"
        "read_alembic_head_in_process()\n"
        "assert api.get_alembic_version is not None\n"
        "print(asked, api.get_alembic_version())")
    asked, read = out.split()
    assert len(asked) == 12 and asked == read


def test_a_new_gradebook_records_that_head(tmp_path):
    out = run_python(
        "import sqlite3\n"
        "from nbgrader.api import Gradebook\n"
        "from autograder.nbgrader_api import read_alembic_head_in_process\n"
        "read_alembic_head_in_process()\n"
        f"db = {str(tmp_path / 'gradebook.db')!r}\n"
        "Gradebook('sqlite:///' + db).close()\n"
        "print(sqlite3.connect(db).execute('select version_num from alembic_version').fetchone()[0])")
    assert out == run_python("import nbgrader.api as api; print(api.get_alembic_version())")


def test_reading_a_notebook_compiles_no_grammar_and_still_validates():
    good = next((ROOT / "release" / "hw0").glob("*.ipynb"))
    bad = '{"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    out = run_python(
        "import sys\n"
        "from autograder.untrusted_file import Refused, parse_notebook\n"
        f"parse_notebook('good.ipynb', open({str(good)!r}, 'rb').read())\n"
        "try:\n"
        f"    parse_notebook('bad.ipynb', {bad!r}.encode())\n"
        "    print('accepted')\n"
        "except Refused as exc:\n"
        "    print(exc)\n"
        "print('lark' in sys.modules, 'jsonschema' in sys.modules or 'fastjsonschema' in sys.modules)")
    verdict, loaded = out.splitlines()
    assert verdict.startswith("bad.ipynb is not a valid notebook")
    assert loaded == "False True"
