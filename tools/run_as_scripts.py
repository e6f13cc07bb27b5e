"""Run lecture notebooks as plain Python scripts, several at a time, where Jupyter is not installed.

The GPU machine this project is sometimes lent has PyTorch but no Jupyter kernel and no network, so
``dlcourse run-notebooks`` (nbclient) cannot run there. This script needs only the standard library:
it takes each notebook's code cells in order (cells tagged ``skip-execution`` left out, as nbval
does; IPython magics and shell lines commented out), runs them as one script with the notebook's
folder as working directory, and writes what ``dlcourse run-notebooks`` writes: ``OUT/<name>.json``
(status, seconds, hardware, mode) and ``OUT/targets/<name>.jsonl`` (every ``cu.report_target``), so
``autograder.notebook_runner.collect(OUT, full-mode.json)`` turns a run into RESULTS.md figures.

    python3 tools/run_as_scripts.py notebooks/*.ipynb --out OUT --full --parallel 7 --timeout 500
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

SHIM = '''"""Stand-in for IPython.display where IPython is not installed: show as text."""
def display(*objs, **kw):
    for o in objs:
        print(getattr(o, "data", o))
class Markdown:
    def __init__(self, data):
        self.data = data
'''


def script_of(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    parts = []
    for k, cell in enumerate(nb["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] != "code" or "skip-execution" in tags or "nbval-skip" in tags:
            continue
        src = "".join(cell["source"])
        lines = [f"pass  # {ln}" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines()]
        parts.append(f"# --- cell {k} ---\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


def hardware() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return f"{torch.cuda.get_device_name(0)} ({torch.cuda.device_count()} GPU)"
    except ImportError:
        pass
    return f"CPU ({platform.machine()}, {os.cpu_count()} cores)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--full", action="store_true", help="full mode (COURSE_FAST=0); default fast")
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per notebook")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    (out / "targets").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    shim = Path(tempfile.mkdtemp(prefix="ipyshim-"))
    try:
        import IPython  # noqa: F401
    except ImportError:
        (shim / "IPython").mkdir()
        # matplotlib's pyplot asks IPython for its shell to install a display hook: there is none
        (shim / "IPython" / "__init__.py").write_text("def get_ipython():\n    return None\n")
        (shim / "IPython" / "display.py").write_text(SHIM)
    repo = Path(__file__).resolve().parent.parent
    hw, mode = hardware(), "full" if args.full else "fast"
    queue, running, failed = list(args.notebooks), {}, 0
    while queue or running:
        while queue and len(running) < args.parallel:
            nb = queue.pop(0).resolve()
            name = nb.stem
            script = out / "logs" / f"{name}.py"
            script.write_text(script_of(nb))
            (out / "targets" / f"{name}.jsonl").unlink(missing_ok=True)
            env = {**os.environ, "COURSE_FAST": "0" if args.full else "1", "COURSE_RESULTS_DIR": str(out / "targets"),
                   "COURSE_NOTEBOOK": name, "TQDM_DISABLE": "1", "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1",
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), str(shim),
                                                               os.environ.get("PYTHONPATH", "")]))}
            log = open(out / "logs" / f"{name}.log", "w")
            proc = subprocess.Popen([sys.executable, str(script)], cwd=nb.parent, env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
            running[name] = (proc, time.perf_counter(), log)
        time.sleep(0.5)
        for name, (proc, start, log) in list(running.items()):
            elapsed = time.perf_counter() - start
            if proc.poll() is None and elapsed < args.timeout:
                continue
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
            text = (out / "logs" / f"{name}.log").read_text(errors="replace").strip().splitlines()
            ok = proc.returncode == 0
            status = {"notebook": name, "mode": mode, "status": "ok" if ok else "error",
                      "error": "" if ok else (f"timeout after {args.timeout:g} s" if elapsed >= args.timeout
                                              else (text or ["exit " + str(proc.returncode)])[-1][:500]),
                      "hardware": hw, "date": date.today().isoformat(), "seconds": round(elapsed, 1),
                      "figures": []}
            (out / f"{name}.json").write_text(json.dumps(status, indent=1) + "\n")
            failed += not ok
            print(f"{name}: {status['status']} in {elapsed:.0f} s {status['error']}", flush=True)
            del running[name]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
