"""``make smoke-full``: run every lecture's full-mode path on a CPU, against small stand-in datasets.

    python tools/smoke_full.py [NOTEBOOK ...] [--jobs 2] [--out build/smoke-full] [--keep-data DIR]

Full mode (``COURSE_FAST=0``) is what students run on a Colab GPU: real MNIST/CIFAR-10 through
torchvision, Cora from its Planetoid files, full-size models, full-mode evaluation code. CI runs fast
mode. This script runs each lecture with

    COURSE_FAST=0 COURSE_SMOKE=1 COURSE_REQUIRE_REAL_DATA=1 COURSE_DATA=<a temporary folder>

so that every full-mode line runs once, here, on a CPU, in a few minutes:

* ``COURSE_SMOKE=1`` (course_utils/runtime.py): ``cu.pick(fast, full, smoke=...)`` returns its smoke value
  for the loops (epochs, steps, seeds, sample counts) and the full value for everything else (model and
  data sizes); ``cu.report_target`` prints and records its figure, "smoke: not checked", without asserting
  it, and the few inline asserts that state a training outcome are guarded by ``if not cu.smoke_mode():``.
  Every other assert in a notebook (equality with PyTorch and its tolerances, shapes) runs as usual.
* The data: ``write_standins`` writes small stand-ins in torchvision's own on-disk formats: MNIST as
  idx files under ``MNIST/raw/`` (512 train / 256 test: scikit-learn's 8x8 digits upsampled to 28x28),
  CIFAR-10 as the pickled ``cifar-10-batches-py/data_batch_1..5``, ``test_batch`` and ``batches.meta``
  (40 / 20: the digits upsampled to 32x32 in random ink and paper colours; fewer, because the
  lectures' ResNets cost 50-75 ms per image and training step on one CPU core), Cora as the original
  Planetoid ``ind.cora.*`` files (1,000 nodes with Cora's 1,433 word features, 7 classes and split
  layout: 70 / 500 / 200; class-dependent words and mostly within-class edges). The notebooks load them
  with their own, unchanged code: ``cu.load_mnist()``/``cu.load_cifar10()`` call torchvision, and
  ``COURSE_REQUIRE_REAL_DATA=1`` makes a failed load an error rather than a silent fall-back to the
  offline stand-in. The script checks each notebook's output for the "Loaded MNIST from <folder>"
  (and CIFAR10, Cora) line of every loader its source calls.
* Integrity: torchvision's MNIST checks only that the four raw files exist (``check_integrity(path)``
  with no md5), so it needs nothing. CIFAR10 compares each batch file and ``batches.meta`` with the md5
  of the real file, which no stand-in can match. The harness, never course code, handles it: it writes
  an IPython startup file into a temporary ``IPYTHONDIR`` for the notebook kernels which, when
  ``torchvision.datasets.cifar`` is imported, replaces that module's ``check_integrity`` by a wrapper:
  for files inside this run's stand-in folder (the one holding ``SMOKE_STANDIN.json``) it checks the
  md5 the harness recorded when it wrote the file instead of the real one; for every other path it is
  torchvision's own check. So the stand-ins are still verified (an altered file fails as it would),
  and no code a student runs is changed.
* Cells tagged ``skip-execution`` (GPU-, Drive- or network-only) are skipped, as nbval skips them.

Notebooks run two at a time (``--jobs``), one torch thread each (``COURSE_THREADS=1``); the script prints
each notebook's time and the total, leaves the executed notebooks in ``--out``, and exits 1 with the
notebook, the cell and the error when a cell fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import autograder  # noqa: F401  (importing it keeps jsonschema, under nbformat, from compiling 1.2 s of grammars)

ROOT = Path(__file__).resolve().parents[1]
MARKER = "SMOKE_STANDIN.json"
CIFAR_LABELS = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

# Stand-in sizes: a few hundred images per split, enough for a few full-size batches. CIFAR-10 is
# smaller because the lectures' ResNets cost ~50-75 ms per 32x32 image and training step on one core.
# Cora keeps the real feature width, class count and train/validation sizes' layout (train, then 500
# validation nodes, then the rest), with fewer nodes.
MNIST_SIZES = (512, 256)  # train, test
CIFAR_SIZES = (5 * 8, 20)  # train (5 batch files of 8), test
BUDGET_S = 240  # the whole run, two notebooks at a time on two cores (a warning, not a failure)
CORA = dict(num_train=70, num_allx=800, num_test=200, num_features=1433, num_classes=7)


# ----------------------------------------------------------------------------------------------------
# stand-in datasets in torchvision's (and Planetoid's) own file formats


def _digits(n_train: int, n_test: int, image_size: int):
    """uint8 images (n, image_size, image_size) and int labels from scikit-learn's digits, upsampled."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from course_utils.data import load_digits_tensors

    X_tr, y_tr, X_te, y_te = load_digits_tensors(image_size=image_size)
    if n_train > len(X_tr) or n_test > len(X_te):
        raise ValueError(f"at most {len(X_tr)} train and {len(X_te)} test digits")
    as_u8 = lambda X: np.rint(X[:, 0].numpy() * 255).astype(np.uint8)  # noqa: E731
    return as_u8(X_tr[:n_train]), y_tr[:n_train].numpy(), as_u8(X_te[:n_test]), y_te[:n_test].numpy()


def _write_idx(path: Path, array) -> None:
    """The idx format MNIST ships in: magic (0, 0, dtype 0x08 = ubyte, ndim), big-endian int32 dims, data."""
    import numpy as np

    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.tobytes())


def write_mnist(root: Path, n_train: int = MNIST_SIZES[0], n_test: int = MNIST_SIZES[1]) -> list[Path]:
    """``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``, as torchvision.datasets.MNIST reads."""
    X_tr, y_tr, X_te, y_te = _digits(n_train, n_test, 28)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    files = {"train-images-idx3-ubyte": X_tr, "train-labels-idx1-ubyte": y_tr,
             "t10k-images-idx3-ubyte": X_te, "t10k-labels-idx1-ubyte": y_te}
    for name, array in files.items():
        _write_idx(raw / name, array)
    return [raw / name for name in files]


def write_cifar10(root: Path, n_train: int = CIFAR_SIZES[0], n_test: int = CIFAR_SIZES[1], seed: int = 0) -> list[Path]:
    """``root/cifar-10-batches-py/``: data_batch_1..5, test_batch (dicts of uint8 rows R|G|B, 32x32 each,
    and labels, pickled as CIFAR-10's Python version is) and batches.meta (the label names)."""
    import numpy as np

    if n_train % 5:
        raise ValueError("n_train must split evenly over the 5 training batch files")
    X_tr, y_tr, X_te, y_te = _digits(n_train, n_test, 32)
    rng = np.random.default_rng(seed)

    def colour(X):  # (n, 32, 32) grey digits -> (n, 3072) rows: random ink and paper colour per image
        ink, paper = rng.integers(0, 256, (2, len(X), 3, 1, 1))
        alpha = X[:, None].astype(np.float64) / 255
        rgb = np.rint(alpha * ink + (1 - alpha) * paper).astype(np.uint8)  # (n, 3, 32, 32)
        return rgb.reshape(len(X), 3 * 32 * 32)

    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def dump(name, obj):
        with open(folder / name, "wb") as f:
            pickle.dump(obj, f, protocol=2)
        written.append(folder / name)

    per = n_train // 5
    for k in range(5):
        sl = slice(k * per, (k + 1) * per)
        dump(f"data_batch_{k + 1}", {"batch_label": f"training batch {k + 1} of 5 (smoke stand-in)",
                                     "labels": [int(v) for v in y_tr[sl]], "data": colour(X_tr[sl]),
                                     "filenames": [f"standin_{k}_{i}.png" for i in range(per)]})
    dump("test_batch", {"batch_label": "testing batch 1 of 1 (smoke stand-in)", "labels": [int(v) for v in y_te],
                        "data": colour(X_te), "filenames": [f"standin_test_{i}.png" for i in range(n_test)]})
    dump("batches.meta", {"num_cases_per_batch": per, "label_names": CIFAR_LABELS, "num_vis": 3072})
    return written


def write_cora(root: Path, seed: int = 0, **sizes) -> list[Path]:
    """``root/cora/raw/ind.cora.{x,y,tx,ty,allx,ally,graph,test.index}`` in the Planetoid format that
    lecture 09's ``load_cora`` reads: scipy CSR bags of words, one-hot labels, an adjacency dict, and
    the test nodes' indices (after all the others, in shuffled order), one per line. A copy goes to
    ``root/cora/pyg/Cora/raw/``, where the lecture's first choice, torch_geometric, reads the same files."""
    from collections import defaultdict

    import numpy as np
    import scipy.sparse as sp

    s = {**CORA, **sizes}
    n_allx, n_test, n_feat, n_cls = s["num_allx"], s["num_test"], s["num_features"], s["num_classes"]
    n = n_allx + n_test
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_cls, n)
    # words: each class prefers its own block of the vocabulary
    X = (rng.random((n, n_feat)) < 0.005).astype(np.float32)
    block = n_feat // n_cls
    for i, c in enumerate(labels):
        X[i, c * block + rng.integers(0, block, 12)] = 1.0
    onehot = np.eye(n_cls, dtype=np.int64)[labels]
    # edges: mostly within a class (homophily), a few across
    graph = defaultdict(list)
    for i in range(n):
        same = np.flatnonzero(labels == labels[i])
        for j in list(rng.choice(same, 2)) + list(rng.integers(0, n, 1)):
            if j != i:
                graph[i].append(int(j))
                graph[int(j)].append(i)
    graph = defaultdict(list, {k: v for k, v in sorted(graph.items())})
    test_index = n_allx + rng.permutation(n_test)  # node ids of tx's rows, as in the real files: unsorted
    order = np.argsort(test_index)  # row r of tx holds node test_index[r]
    X_test_nodes, y_test_nodes = X[n_allx:][np.argsort(order)], onehot[n_allx:][np.argsort(order)]
    raw = root / "cora" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    parts = {"x": sp.csr_matrix(X[:s["num_train"]]), "y": onehot[:s["num_train"]],
             "allx": sp.csr_matrix(X[:n_allx]), "ally": onehot[:n_allx],
             "tx": sp.csr_matrix(X_test_nodes), "ty": y_test_nodes, "graph": graph}
    written = []
    for name, obj in parts.items():
        with open(raw / f"ind.cora.{name}", "wb") as f:
            pickle.dump(obj, f, protocol=2)
        written.append(raw / f"ind.cora.{name}")
    (raw / "ind.cora.test.index").write_text("".join(f"{i}\n" for i in test_index))
    written.append(raw / "ind.cora.test.index")
    # the same files where torch_geometric's Planetoid(root / "pyg", "Cora") looks first, when it is installed
    pyg_raw = root / "cora" / "pyg" / "Cora" / "raw"
    pyg_raw.mkdir(parents=True, exist_ok=True)
    for path in list(written):
        written.append(Path(shutil.copy2(path, pyg_raw / path.name)))
    return written


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def write_standins(root: Path) -> Path:
    """All stand-ins under ``root`` plus ``root/SMOKE_STANDIN.json``: what they are and their md5s."""
    root.mkdir(parents=True, exist_ok=True)
    files = write_mnist(root) + write_cifar10(root) + write_cora(root)
    manifest = {"what": "stand-in datasets written by tools/smoke_full.py for `make smoke-full`; not real data",
                "md5": {p.relative_to(root).as_posix(): _md5(p) for p in files}}
    (root / MARKER).write_text(json.dumps(manifest, indent=1) + "\n")
    return root / MARKER


# The kernels' IPython startup file (in a temporary IPYTHONDIR): runs before each notebook's first cell.
STARTUP = '''\
# Written by tools/smoke_full.py (make smoke-full); never part of the course. CIFAR-10's stand-in files
# cannot match the md5s of the real ones that torchvision checks, so inside this run's stand-in folder
# (the one holding SMOKE_STANDIN.json) the md5s the harness recorded when it wrote them are checked
# instead. Installed when torchvision.datasets.cifar is first imported (importing torchvision here
# would cost every kernel seconds).
def _course_smoke_install():
    import importlib.abc
    import importlib.machinery
    import json
    import os
    import sys
    from pathlib import Path

    root = Path(os.environ["COURSE_DATA"]).resolve()
    recorded = json.loads((root / "{marker}").read_text())["md5"]

    def patch(cifar):
        torchvision_check = cifar.check_integrity

        def check_integrity(fpath, md5=None):
            try:
                rel = Path(fpath).resolve().relative_to(root).as_posix()
            except ValueError:  # not a stand-in: torchvision's own check
                return torchvision_check(fpath, md5)
            return torchvision_check(fpath, recorded.get(rel, md5) if md5 is not None else None)

        cifar.check_integrity = check_integrity

    class PatchOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target=None):
            if fullname != "torchvision.datasets.cifar":
                return None
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                patch(module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, PatchOnImport())


_course_smoke_install()
del _course_smoke_install
'''


def write_ipython_startup(ipython_dir: Path) -> Path:
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    path = startup / "00-course-smoke-standin.py"
    path.write_text(STARTUP.replace("{marker}", MARKER))
    return path


def smoke_env(data_root: Path, ipython_dir: Path, notebook: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COURSE_RESULTS_DIR", None)  # smoke figures are not measurements: never into RESULTS.md
    env.update({
        "COURSE_FAST": "0", "COURSE_SMOKE": "1", "COURSE_REQUIRE_REAL_DATA": "1", "COURSE_DATA": str(data_root),
        "COURSE_NOTEBOOK": notebook, "COURSE_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "TQDM_DISABLE": "1", "PYTHONHASHSEED": "0",
        "IPYTHONDIR": str(ipython_dir), "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    return env


# ----------------------------------------------------------------------------------------------------
# executing one notebook (in its own process, so that each gets its own environment)


def _text_of(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def expected_loads(source: str, data_root: Path) -> dict[str, str]:
    """Regexes of the output lines that prove each full-mode loader in ``source`` read the stand-in."""
    expect = {}
    for name in ("MNIST", "CIFAR10"):
        if f"cu.load_{name.lower()}(" in source:
            expect[name] = rf"^\[course_utils\] Loaded {name} from {re.escape(str(data_root))}: \d+ train"
    if "load_cora(" in source:
        expect["Cora"] = r"^Cora: \d+ nodes"  # printed only after a successful load
    return expect


def run_one(nb_path: Path, out_dir: Path, cell_timeout: float) -> dict:
    """Execute one notebook in this process's environment; write and return its status."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    name = nb_path.stem
    nb = nbformat.read(nb_path, as_version=4)
    data_root = Path(os.environ["COURSE_DATA"])
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code"
                       and "skip-execution" not in c.get("metadata", {}).get("tags", []))
    status = {"notebook": name, "status": "ok", "error": "", "cell": None}
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=False,
                            skip_cells_with_tag="skip-execution",
                            resources={"metadata": {"path": str(nb_path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        status["status"] = "error"
        failed = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and any(
            o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        status["cell"] = failed
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
        status["error"] = "\n".join(plain.splitlines()[-25:])
    except Exception as exc:  # a dead kernel, a timeout
        status["status"] = "error"
        status["error"] = f"{type(exc).__name__}: {exc}"
    status["seconds"] = round(time.perf_counter() - start, 1)
    text = "\n".join(_text_of(c) for c in nb.cells if c.cell_type == "code")
    if status["status"] == "ok":
        missing = [k for k, rx in expected_loads(source, data_root).items() if not re.search(rx, text, re.M)]
        problems = []
        if missing:
            problems.append(f"no proof that {', '.join(missing)} loaded from the stand-in {data_root} "
                            f"(expected its '[course_utils] Loaded ...' / 'Cora: ...' line)")
        if "Falling back" in text or "could not be loaded" in text.lower() or "FALLBACK" in text:
            problems.append("a loader fell back to an offline stand-in")
        targets = re.findall(r"^TARGET \[(\w+)\].*-> (.*)$", text, flags=re.M)
        if not targets:
            problems.append("no cu.report_target line: the last cell did not run?")
        elif any(mode != "smoke" or verdict != "smoke: not checked" for mode, verdict in targets):
            problems.append(f"report_target was not in smoke mode: {targets}")
        if problems:
            status["status"], status["error"] = "error", "; ".join(problems)
        status["targets"] = len(targets)
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / f"{name}.ipynb")
    (out_dir / f"{name}.json").write_text(json.dumps(status, indent=1) + "\n")
    return status


def _describe_failure(nb_path: Path, st: dict) -> str:
    where = ""
    if st.get("cell") is not None:
        import nbformat

        cell = nbformat.read(nb_path, as_version=4).cells[st["cell"]]
        first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
        where = f", cell {st['cell']} (starts: {first[:80]!r})"
    return f"FAILED {nb_path.relative_to(ROOT) if nb_path.is_relative_to(ROOT) else nb_path}{where}:\n{st['error']}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/[0-9][0-9]_*.ipynb")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "smoke-full")
    ap.add_argument("--cell-timeout", type=float, default=900)
    ap.add_argument("--keep-data", type=Path, help="write the stand-ins here and keep them (default: a temp folder)")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # internal: run one notebook here
    args = ap.parse_args(argv)

    if args.one:
        st = run_one(args.notebooks[0].resolve(), args.out, args.cell_timeout)
        return 0 if st["status"] == "ok" else 1

    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    tmp = Path(tempfile.mkdtemp(prefix="course-smoke-"))
    data_root = (args.keep_data or tmp / "data").resolve()
    ipython_dir = tmp / "ipython"
    try:
        t0 = time.perf_counter()
        write_standins(data_root)
        write_ipython_startup(ipython_dir)
        print(f"smoke-full: stand-in MNIST {MNIST_SIZES}, CIFAR-10 {CIFAR_SIZES}, Cora "
              f"({CORA['num_allx'] + CORA['num_test']} nodes) written to {data_root} in "
              f"{time.perf_counter() - t0:.1f} s; {len(notebooks)} notebooks, {args.jobs} at a time", flush=True)
        # longest first (by the last run's times, when there was one): two workers then finish together
        last = {}
        for p in args.out.glob("*.json"):
            try:
                last[p.stem] = float(json.loads(p.read_text()).get("seconds", 0))
            except (ValueError, AttributeError):
                pass
            p.unlink()
        queue = sorted(notebooks, key=lambda nb: -last.get(nb.stem, 0))

        def launch(nb_path: Path) -> tuple[Path, dict]:
            env = smoke_env(data_root, ipython_dir, nb_path.stem)
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--one", str(nb_path), "--out", str(args.out),
                                   "--cell-timeout", str(args.cell_timeout)], env=env, cwd=ROOT,
                                  capture_output=True, text=True)
            status_file = args.out / f"{nb_path.stem}.json"
            if status_file.exists():
                st = json.loads(status_file.read_text())
            else:
                st = {"status": "error", "error": (proc.stderr or proc.stdout)[-3000:], "cell": None}
            st["wall"] = time.perf_counter() - start
            mark = "ok  " if st["status"] == "ok" else "FAIL"
            print(f"{mark} {st['wall']:6.1f} s  {nb_path.stem}", flush=True)
            return nb_path, st

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = sorted(pool.map(launch, queue))
        total = time.perf_counter() - t0
        print("smoke-full: per-notebook wall times (full-mode code, COURSE_SMOKE=1, stand-in data)")
        for nb_path, st in results:
            print(f"  {st['wall']:6.1f} s  {nb_path.stem}{'' if st['status'] == 'ok' else '  FAILED'}")
        print(f"smoke-full: {sum(st['wall'] for _, st in results):.1f} s of notebook time, {total:.1f} s wall "
              f"for {len(results)} notebooks ({args.jobs} at a time); executed notebooks in {args.out}")
        if total > BUDGET_S:
            print(f"smoke-full: WARNING: over its {BUDGET_S:.0f} s budget; give the slowest notebook's loops "
                  f"smaller smoke= values", file=sys.stderr)
        failures = [(p, st) for p, st in results if st["status"] != "ok"]
        for p, st in failures:
            print(_describe_failure(p, st), file=sys.stderr)
        return 1 if failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
