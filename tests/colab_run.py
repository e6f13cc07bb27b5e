"""Run one notebook the way Colab would, from inside the simulated Colab environment.

    colab-venv/bin/python tests/colab_run.py NOTEBOOK OUT.ipynb [TIMEOUT_S]

Run by that venv's own Python so the kernel is that venv's (its ipykernel, its packages). Prints one
JSON line: {"seconds": ..., "error": null | {"ename", "evalue", "cell"}}; writes the executed notebook.
"""

import json
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    timeout = int(sys.argv[3]) if len(sys.argv) > 3 else 600
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3")
    error = None
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError:
        for i, cell in enumerate(nb.cells):
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error" and error is None:
                    error = {"ename": o["ename"], "evalue": o["evalue"], "cell": i}
    seconds = time.perf_counter() - start
    nbformat.write(nb, out)
    print(json.dumps({"seconds": round(seconds, 1), "error": error}))


if __name__ == "__main__":
    main()
