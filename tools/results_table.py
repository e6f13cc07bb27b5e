"""Write RESULTS.md from what the notebooks measured.

    python tools/results_table.py [--results build/results] [--times build/notebook-times.json]

`make test` runs every notebook with COURSE_RESULTS_DIR=build/results, where each
`cu.report_target(...)` call appends its figure, and the test run saves per-notebook times (kernel CPU and wall) to
build/notebook-times.json. This script turns both into the fast-mode columns of RESULTS.md. Full-mode
figures come from `full-mode.json` beside RESULTS.md (measured on a GPU: figure, hardware, date);
a notebook without one says "not yet run". Nothing here is typed in by hand.
"""

from __future__ import annotations

import argparse
import json
import platform
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _records(folder: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            out.setdefault(rec["notebook"], []).append(rec)
    return out


def _fmt(rec: dict) -> str:
    text = f"{rec['name']}: {rec['value']:.4g}{rec.get('unit', '')} ({rec['op']} {rec['threshold']:g})"
    return text.replace("|", "\\|")  # a bare | would split the Markdown table cell


def _time(entry: dict | None) -> str:
    if not entry:
        return "-"
    cpu = f"{entry['cpu_s']:.0f} s CPU, " if entry.get("cpu_s") is not None else ""
    return f"{cpu}{entry['wall_s']:.0f} s wall"


def build(results: Path, times_file: Path, full_file: Path) -> str:
    records = _records(results)
    times = json.loads(times_file.read_text()) if times_file.exists() else {}
    full = json.loads(full_file.read_text()) if full_file.exists() else {}
    lines = [
        "# Results",
        "",
        "Every figure below was measured by the notebooks themselves (`cu.report_target`), not typed in.",
        f"Fast mode: CPU, offline, {platform.machine()} with 2 cores, COURSE_FAST=1, measured by `make test` "
        f"on {date.today().isoformat()} (regenerate with `make results`). Time is the CPU time of the notebook's "
        "kernel (one torch thread: what the notebook takes alone on one core; the 90 s budget is on it) and its "
        "wall time inside `make test`, where other tests share the cores.",
        "",
        "Full mode (GPU) figures come from a full-mode run on a GPU machine (`dlcourse run-notebooks "
        "--update-results`, or `tools/run_as_scripts.py --full` where Jupyter is not installed), kept in "
        "`full-mode.json`: every target with PASS or FAIL, or the error that stopped the notebook; "
        "\"not yet run\" means no such run has been recorded.",
        "",
        "| notebook | fast-mode target (measured) | time | full mode (GPU) |",
        "|---|---|---|---|",
    ]
    notebooks = sorted({p.stem for p in (ROOT / "notebooks").glob("*.ipynb")} | set(records))
    for nb in notebooks:
        recs = [r for r in records.get(nb, []) if r["mode"] == "fast"]
        latest = {r["name"]: r for r in recs}  # the last run of each target
        fast = "<br>".join(("PASS " if r["passed"] else "FAIL ") + _fmt(r) for r in latest.values()) or "not measured"
        t = _time(times.get(f"notebooks/{nb}.ipynb"))
        full_entry = full.get(nb)
        full_txt = "not yet run"
        if full_entry:
            secs = f", {full_entry['seconds']:.0f} s" if full_entry.get("seconds") else ""
            full_txt = f"{full_entry['figure']} ({full_entry['hardware']}, {full_entry['date']}{secs})"
            if full_entry.get("note"):
                full_txt += f"<br>*{full_entry['note']}*"
        lines.append(f"| `{nb}` | {fast} | {t} | {full_txt} |")
    if times:
        cpu = sum(v["cpu_s"] or 0 for v in times.values())
        wall = sum(v["wall_s"] for v in times.values())
        lines += ["", f"All {len(times)} lecture notebooks in one `make test` run: {cpu:.0f} s of kernel CPU "
                  f"time, {wall:.0f} s of wall time."]
    solutions = [json.loads(p.read_text()) for p in sorted((ROOT / "build" / "solution-times").glob("*.json"))]
    lines += ["", "Assignment solutions (`source/`) run in the same test run (tests/test_homework_design.py, one "
              "thread, inline plots); per notebook:", ""]
    for r in solutions:
        lines.append(f"- `{r['notebook']}`: {r['seconds']:.0f} s, {r['figures']} figure(s)")
    bench = ROOT / "build" / "grading-benchmark.txt"
    lines += ["", "## Grading throughput", ""]
    if bench.exists():
        lines += ["`benchmarks/grading_throughput.py` (stock `nbgrader autograde` and `dlcourse grade` side by side, "
                  "one run):", "", "```", bench.read_text().rstrip(), "```"]
    else:
        lines.append("Run `.venv/bin/python benchmarks/grading_throughput.py` to measure.")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=ROOT / "build" / "results")
    ap.add_argument("--times", type=Path, default=ROOT / "build" / "notebook-times.json")
    ap.add_argument("--out", type=Path, default=ROOT / "RESULTS.md")
    args = ap.parse_args()
    args.out.write_text(build(args.results, args.times, ROOT / "full-mode.json"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
