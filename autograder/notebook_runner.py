"""Execute lecture notebooks and collect what they measured (``dlcourse run-notebooks``).

    python -m autograder.notebook_runner NOTEBOOK OUT_DIR [--mode full|fast]   # one notebook (a Slurm task)

Each run writes, under OUT_DIR: the executed notebook, its figures (``figures/<name>-<k>.png``), the
targets its ``cu.report_target`` calls measured (``targets/<name>.jsonl``) and a status file
(``<name>.json``: ok or the error, seconds, hardware, mode). ``collect`` turns a folder of these
into ``OUT_DIR/RESULTS.md`` and, for full-mode runs, into the ``full-mode.json`` that the
repository's RESULTS.md is built from. A notebook that fails still leaves its partial notebook and
a status saying where it failed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import sys
import time
from datetime import date
from pathlib import Path


def hardware() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return f"{torch.cuda.get_device_name(0)} ({torch.cuda.device_count()} GPU)"
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return f"CPU ({platform.machine()}, {os.cpu_count()} cores)"


def execute(nb_path: Path, out_dir: Path, fast: bool, cell_timeout: float = 1800) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    name = nb_path.stem
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = out_dir / "targets"
    (targets / f"{name}.jsonl").unlink(missing_ok=True)  # a rerun replaces, never mixes, figures
    # The kernel inherits this environment: mode, where targets go, no progress spam. MPLBACKEND must
    # go: under Agg plt.show() draws nothing, and the kernel's inline backend is what captures figures.
    os.environ.update({"COURSE_FAST": "1" if fast else "0", "COURSE_RESULTS_DIR": str(targets),
                       "COURSE_NOTEBOOK": name, "TQDM_DISABLE": "1"})
    os.environ.pop("MPLBACKEND", None)
    nb = nbformat.read(nb_path, as_version=4)
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(nb_path.parent)}})
    status = {"notebook": name, "mode": "fast" if fast else "full", "status": "ok", "error": "",
              "hardware": hardware(), "date": date.today().isoformat()}
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        status["status"] = "error"
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # tracebacks come coloured
        status["error"] = (plain.splitlines() or ["cell failed"])[-1][:500]
    except Exception as exc:  # a dead kernel, a timeout: still a status, never a lost run
        status["status"] = "error"
        status["error"] = f"{type(exc).__name__}: {exc}"[:500]
    status["seconds"] = round(time.perf_counter() - start, 1)
    nbformat.write(nb, out_dir / f"{name}.ipynb")
    status["figures"] = _save_figures(nb, out_dir / "figures", name)
    (out_dir / f"{name}.json").write_text(json.dumps(status, indent=1) + "\n")
    return status


def _save_figures(nb, folder: Path, name: str) -> list[str]:
    saved = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png") if out.get("output_type") in ("display_data",
                                                                                      "execute_result") else None
            if png:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{name}-{len(saved) + 1}.png"
                path.write_bytes(base64.b64decode(png))
                saved.append(str(path.relative_to(folder.parent)))
    return saved


def collect(out_dir: Path, update_full_mode: Path | None = None) -> str:
    """Write OUT_DIR/RESULTS.md from the status files and targets; return its text."""
    statuses = [json.loads(p.read_text()) for p in sorted(out_dir.glob("*.json"))]
    lines = ["# Notebook runs", "", "| notebook | status | mode | time | hardware | targets (measured) | figures |",
             "|---|---|---|---|---|---|---|"]
    full_mode = {}
    for st in statuses:
        recs = _targets(out_dir / "targets" / f"{st['notebook']}.jsonl")
        passed = st["status"] == "ok" and recs and all(r["passed"] for r in recs)
        tgt = "<br>".join(f"{'PASS' if r['passed'] else 'FAIL'} {r['name']}: {r['value']:.4g} ({r['op']} "
                          f"{r['threshold']:g})" for r in recs) or "none recorded"
        figs = " ".join(f"[{k + 1}]({f})" for k, f in enumerate(st.get("figures", [])))
        state = "ok" if st["status"] == "ok" else f"error: {st['error']}"
        lines.append(f"| `{st['notebook']}` | {state} | {st['mode']} | {st.get('seconds', 0):.0f} s | "
                     f"{st['hardware']} | {tgt} | {figs} |")
        if st["mode"] == "full":  # a missed target or an error is a result too: RESULTS.md shows it
            figure = "<br>".join(f"{'PASS' if r['passed'] else 'FAIL'} {r['name']}: {r['value']:.4g} "
                                 f"({r['op']} {r['threshold']:g})" for r in recs)
            if st["status"] != "ok" and not (recs and not all(r["passed"] for r in recs)):
                figure = "<br>".join(filter(None, [figure, f"error: {st['error']}"]))
            full_mode[st["notebook"]] = {"figure": figure or "no target recorded", "passed": bool(passed),
                                         "hardware": st["hardware"], "date": st["date"],
                                         "seconds": st.get("seconds", 0)}
    text = "\n".join(lines) + "\n"
    (out_dir / "RESULTS.md").write_text(text)
    if update_full_mode is not None and full_mode:
        known = json.loads(update_full_mode.read_text()) if update_full_mode.exists() else {}
        known.update(full_mode)
        update_full_mode.write_text(json.dumps(dict(sorted(known.items())), indent=1) + "\n")
    return text


def _targets(path: Path) -> list[dict]:
    if not path.exists():
        return []
    latest = {}
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        latest[rec["name"]] = rec
    return list(latest.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Execute one notebook and record its results.")
    ap.add_argument("notebook", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--mode", choices=("full", "fast"), default="full")
    ap.add_argument("--cell-timeout", type=float, default=1800)
    args = ap.parse_args(argv)
    st = execute(args.notebook.resolve(), args.out_dir.resolve(), args.mode == "fast", args.cell_timeout)
    print(f"{st['notebook']}: {st['status']} in {st['seconds']} s on {st['hardware']}"
          + (f" ({st['error']})" if st["error"] else ""))
    return 0 if st["status"] == "ok" else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
