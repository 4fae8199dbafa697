"""Hostile programs: each must be contained with the right verdict and leave the host as it was.

Every hostile program runs only inside the sandbox, and every sandbox call runs in a separate
Python process under a hard timeout, so a containment bug fails a test instead of hanging or
hurting the machine. After each case: no process carrying this case's marker is alive, the
runner has no child or zombie left, its fd count is unchanged and its temp root is empty.
"""

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

from grpo_c.rewards import sandbox_info
from grpo_c.rewards.code import _reachable_by_others

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INFO = sandbox_info()

RUNNER = textwrap.dedent("""
    import json, os, sys
    from grpo_c.rewards import code
    spec = json.loads(sys.stdin.read())
    def fds():
        return len(os.listdir("/proc/self/fd"))
    # A descriptor the host forgot to mark close-on-exec: programs must not inherit it.
    os.set_inheritable(os.open(os.devnull, os.O_RDONLY), True)
    before = fds()
    rewards, details = code(spec["completions"], spec["tests"], return_details=True,
                            **spec["kwargs"])
    me = str(os.getpid())
    children = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:
            children.append((pid, fields[0]))
    print(json.dumps({
        "rewards": [None if r != r else float(r) for r in rewards],
        "verdicts": [[v.verdict for v in d] for d in details],
        "messages": [[v.message for v in d] for d in details],
        "children": children, "fd_delta": fds() - before,
        "left": os.listdir(os.environ["TMPDIR"])}))
""")


def marked_processes(marker):
    """Pids whose environment names this case's temp root (HOME/TMPDIR of its programs)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if marker.encode() in env and b"GRPO_C_ADVERSARIAL_RUNNER" not in env:
            found.append(int(pid))
    return found


_ROOTS = {}


@pytest.fixture(scope="module", autouse=True)
def _remove_roots():
    yield
    for root in _ROOTS.values():
        shutil.rmtree(root, ignore_errors=True)


def reachable_root(tmp_path, purpose="root"):
    """A directory under /tmp, searchable by others (pytest's tmp_path is 0700): in the
    fallback a root caller's sandbox uid reaches its workspace by path."""
    if (tmp_path, purpose) not in _ROOTS:
        _ROOTS[tmp_path, purpose] = tempfile.mkdtemp(prefix="grpo_c_adversarial.")
        os.chmod(_ROOTS[tmp_path, purpose], 0o711)
    return pathlib.Path(_ROOTS[tmp_path, purpose])


def fallback_interpreter():
    """Without namespaces a root caller's programs run as a sandbox uid that sees host
    permissions: they need an interpreter every user can reach."""
    if os.geteuid() != 0 or _reachable_by_others(sys.executable):
        return sys.executable
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(candidate) and _reachable_by_others(candidate):
            return candidate
    pytest.skip("root without namespaces needs a Python every user can run")


def run_case(tmp_path, ns, completions, tests, **kwargs):
    kwargs["namespaces"], _, startup = ns.partition("-")
    if startup:
        kwargs["python_startup"] = startup
    if kwargs.get("language", "python") == "python" and (ns == "off" or not INFO["namespaces"]):
        kwargs.setdefault("interpreter", fallback_interpreter())
    root = reachable_root(tmp_path)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": ROOT,
           "HF_TOKEN": "hf_SECRET", "AWS_SECRET_ACCESS_KEY": "SECRET",
           "TMPDIR": str(root), "GRPO_C_ADVERSARIAL_RUNNER": "1"}
    spec = json.dumps({"completions": completions, "tests": tests, "kwargs": kwargs})
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=spec, capture_output=True,
                          text=True, timeout=120, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    time.sleep(0.05)
    survivors = marked_processes(str(root))
    for pid in survivors:  # only processes this case started, by pid
        os.kill(pid, signal.SIGKILL)
    assert survivors == [], "processes outlived the run"
    assert out["children"] == [] and out["fd_delta"] == 0 and out["left"] == [], out
    return out


def py(body):
    return "```python\n" + textwrap.dedent(body).strip() + "\n```"


def c(body):
    return "```c\n" + textwrap.dedent(body).strip() + "\n```"


def verdicts(out):
    return {v for per in out["verdicts"] for v in per}


STDIO = [[{"input": "", "output": "ok"}]]


@pytest.fixture(params=["auto-fork", "auto-fast", "off"])
def ns(request):
    """Every hostile case runs with namespaces (when available) through the Python fork
    server and through a process per test, and in the forced fallback."""
    return request.param
needs_gcc = pytest.mark.skipif(subprocess.run(["which", "gcc"], capture_output=True).returncode,
                               reason="gcc not installed")


def test_infinite_loop_is_cpu_time_limit(tmp_path, ns):
    out = run_case(tmp_path, ns, [py("while True:\n    pass")], STDIO, timeout=1)
    assert verdicts(out) == {"time_limit"} and out["rewards"] == [0.0]


def test_sleep_is_wall_time_limit(tmp_path, ns):
    start = time.monotonic()
    out = run_case(tmp_path, ns, [py("import time\ntime.sleep(1000)")], STDIO, timeout=1)
    assert verdicts(out) == {"time_limit"}
    assert time.monotonic() - start < 60


def test_python_fork_bomb(tmp_path, ns):
    progs = [py("import os\nwhile True:\n    os.fork()"),
             py("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
                "        pass")]
    out = run_case(tmp_path, ns, progs, STDIO * 2, timeout=1)
    assert "accepted" not in verdicts(out)
    assert out["verdicts"][1] == ["time_limit"]


@needs_gcc
def test_c_fork_bomb_and_double_fork_escape(tmp_path, ns):
    bomb = c("#include <unistd.h>\nint main(void){for(;;)fork();}")
    escape = c("""
        #include <stdio.h>
        #include <unistd.h>
        int main(void){
            if(fork()==0){setsid(); if(fork()==0){sleep(1000);} return 0;}
            puts("ok"); return 0;}""")
    out = run_case(tmp_path, ns, [bomb, escape], STDIO * 2, language="c", timeout=1)
    assert out["verdicts"][0] == ["time_limit"]
    # fork() fails, so the escape prints "ok" from the only process there is.
    assert out["verdicts"][1] in (["accepted"], ["runtime_error"])


def test_thread_bomb_is_capped(tmp_path, ns):
    # Threads are allowed (deep-recursion idiom), but not without bound: each one is a task
    # the host's PID space pays for. Small stacks defeat the address-space limit.
    prog = py("""
        import threading, time
        threading.stack_size(65536)
        n = 0
        try:
            while n < 20000:
                threading.Thread(target=time.sleep, args=(2,), daemon=True).start()
                n += 1
        except RuntimeError:
            pass
        print("ok" if n < 20000 else n)""")
    out = run_case(tmp_path, ns, [prog], STDIO, timeout=2)
    if not ("pids_cgroup" in INFO["layers"] or os.geteuid() != 0):
        pytest.skip("root without a pids cgroup: threads are bounded only by memory")
    assert out["verdicts"] == [["accepted"]]


def test_shell_fork_bomb(tmp_path, ns):
    progs = [py("import os\nos.system(':(){ :|:& };:')\nprint('x')"),
             py("import subprocess\nsubprocess.run(['sh', '-c', ':(){ :|:& };:'])")]
    out = run_case(tmp_path, ns, progs, STDIO * 2, timeout=1)
    assert "accepted" not in verdicts(out)


@pytest.mark.skipif(not INFO["namespaces"], reason="needs a PID namespace")
def test_pid_namespace_kills_escaped_descendants(tmp_path):
    # With processes allowed, a setsid + background sleep must still die with the run.
    from grpo_c import _sandbox

    root = reachable_root(tmp_path)
    limits = {"wall_seconds": 5.0, "cpu_seconds": 2.0, "memory_bytes": 1 << 30,
              "file_bytes": 1 << 20, "stdout_bytes": 1 << 20, "stderr_bytes": 1 << 20,
              "collect_bytes": 0, "max_processes": 8, "open_files": 32, "namespaces": 1}
    job = {"argv": ["/bin/sh", "-c", "(setsid sleep 1000 &); (sleep 1000 &); echo started"],
           "temp_root": str(root)}
    code = ("import json,sys\nfrom grpo_c import _sandbox\n"
            f"r = _sandbox.run_batch([{job!r}], {limits!r}, 1)[0]\n"
            "print(json.dumps([r['status'], r['stdout'].decode(), r['isolation']]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={"PYTHONPATH": ROOT, "PATH": "/usr/bin:/bin"})
    status, stdout, iso = json.loads(proc.stdout)
    assert status == _sandbox.EXITED and stdout == "started\n"
    assert iso & _sandbox.ISO_PIDNS
    time.sleep(0.1)
    survivors = marked_processes(str(root))
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


def test_fallback_setsid_escape(tmp_path):
    # Without a PID namespace, a program allowed to fork (C API only) can leave its process
    # group with setsid. A pids cgroup still catches it; without one the gap is reported.
    from grpo_c import _sandbox

    root = reachable_root(tmp_path)
    limits = {"wall_seconds": 5.0, "cpu_seconds": 2.0, "memory_bytes": 1 << 30,
              "file_bytes": 1 << 20, "stdout_bytes": 1 << 20, "stderr_bytes": 1 << 20,
              "collect_bytes": 0, "max_processes": 8, "open_files": 32,
              "namespaces": _sandbox.NS_OFF}
    job = {"argv": ["/bin/sh", "-c", "(setsid sleep 1000 &); (sleep 1000 &); echo started"],
           "temp_root": str(root)}
    code = ("import json,sys\nfrom grpo_c import _sandbox\n"
            f"r = _sandbox.run_batch([{job!r}], {limits!r}, 1)[0]\n"
            "print(json.dumps([r['status'], r['stdout'].decode(), r['isolation']]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={"PYTHONPATH": ROOT, "PATH": "/usr/bin:/bin"})
    status, stdout, iso = json.loads(proc.stdout)
    assert stdout == "started\n" and iso & _sandbox.ISO_PGROUP and not iso & _sandbox.ISO_PIDNS
    time.sleep(0.1)
    survivors = marked_processes(str(root))
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    if iso & _sandbox.ISO_PIDS_CGROUP:
        assert survivors == []
    else:
        assert len(survivors) <= 1  # the setsid one: the documented, reported gap


def test_signals_cannot_leave_the_sandbox(tmp_path, ns):
    # First a sacrificial process of ours: the program must not be able to kill it. Only when
    # that holds do we let a program try kill(-1).
    victim = subprocess.Popen(["sleep", "60"])
    try:
        prog = py(f"""
            import os, signal
            try:
                os.kill({victim.pid}, signal.SIGKILL)
                print("killed")
            except OSError as e:
                print("denied")""")
        out = run_case(tmp_path, ns, [prog], [[{"input": "", "output": "denied"}]])
        time.sleep(0.1)
        assert victim.poll() is None, "a sandboxed program killed a host process"
        assert out["verdicts"] in ([["accepted"]], [["wrong_answer"]])
        bombs = [py("import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('alive')"),
                 py("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('alive')")]
        run_case(tmp_path, ns, bombs, STDIO * 2)
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_huge_allocation_is_memory_limit(tmp_path, ns):
    out = run_case(tmp_path, ns, [py("x = bytearray(16 * 2**30)\nprint(len(x))")], STDIO,
                   memory_mb=512)
    assert verdicts(out) == {"memory_limit"}


@needs_gcc
def test_huge_allocation_in_c(tmp_path, ns):
    prog = c("""
        #include <stdlib.h>
        #include <string.h>
        int main(void){size_t n=(size_t)16<<30; char*p=malloc(n); memset(p,1,n); return p[n-1];}""")
    out = run_case(tmp_path, ns, [prog], STDIO, language="c", memory_mb=512)
    assert verdicts(out) <= {"memory_limit", "runtime_error"}


def test_gigabyte_of_output_is_output_limit(tmp_path, ns):
    progs = [py("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)"),
             py("import sys\nwhile True:\n    sys.stderr.write('x' * 65536)")]
    out = run_case(tmp_path, ns, progs, STDIO * 2, output_mb=8)
    assert out["verdicts"] == [["output_limit"], ["output_limit"]]


def test_ten_gigabyte_file_is_output_limit(tmp_path, ns):
    progs = [py("with open('f', 'wb') as f:\n    while True:\n        f.write(b'x' * 2**20)"),
             py("import os\nfd = os.open('g', os.O_CREAT | os.O_WRONLY)\n"
                "os.posix_fallocate(fd, 0, 10 * 2**30)")]
    out = run_case(tmp_path, ns, progs, STDIO * 2, output_mb=8)
    assert out["verdicts"] == [["output_limit"], ["output_limit"]]


@pytest.mark.skipif(not INFO["namespaces"], reason="needs a mount namespace for the tmpfs")
def test_many_files_cannot_fill_the_disk(tmp_path):
    prog = py("""
        for i in range(10000):
            with open(f"f{i}", "wb") as f:
                f.write(b"x" * 2**20)""")
    out = run_case(tmp_path, "auto", [prog], STDIO, output_mb=8, timeout=5)
    assert out["verdicts"] == [["output_limit"]]


def test_child_that_never_reads_large_stdin(tmp_path, ns):
    big = "1 " * (32 * 2**20)
    out = run_case(tmp_path, ns, [py("print('ok')")], [[{"input": big, "output": "ok"}]])
    assert out["verdicts"] == [["accepted"]]


def test_reading_outside_the_run_directory(tmp_path, ns):
    canary = tmp_path / "hidden_tests.json"
    canary.write_text("HIDDEN-TESTS-CANARY-7f3a")
    canary.chmod(0o644)
    paths = [str(canary), "/root/.ssh/id_rsa", "/etc/shadow", "/etc/passwd", "..",
             os.path.expanduser("~/.bashrc")]
    progs = [py(f"""
        import os
        p = {p!r}
        print(os.listdir(p) if os.path.isdir(p) else open(p).read())""") for p in paths]
    out = run_case(tmp_path, ns, progs, STDIO * len(paths))
    if not INFO["landlock_abi"]:
        pytest.skip("no Landlock: reads are limited by file permissions only")
    assert verdicts(out) == {"runtime_error"}
    assert not any("CANARY" in m for per in out["messages"] for m in per)


def test_host_tree_under_the_workspace_stays_out_of_reach(tmp_path, ns):
    """The root view leaves the host tree under the workspace mount: unmounting the workspace
    to reveal it fails, and neither the host path nor the path below the workspace reads."""
    canary = tmp_path / "under_the_workspace.txt"
    canary.write_text("HOST-TREE-CANARY-51c2")
    canary.chmod(0o644)
    prog = py(f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        cwd = os.getcwd()
        unmounted = any(libc.umount2(cwd.encode(), flags) == 0 for flags in (0, 2))
        def readable(path):
            try:
                return "CANARY" in open(path).read()
            except OSError:
                return False
        seen = readable({str(canary)!r}) or readable(cwd + {str(canary)!r})
        print("revealed" if unmounted or seen or os.listdir(cwd) != ["solution.py"] else "hidden")""")
    out = run_case(tmp_path, ns, [prog], [[{"input": "", "output": "hidden"}]])
    if not INFO["landlock_abi"] and ns == "off":
        pytest.skip("no Landlock: reads are limited by file permissions only")
    assert verdicts(out) == {"accepted"}, out["messages"]
    assert canary.read_text() == "HOST-TREE-CANARY-51c2"


def test_writing_outside_the_run_directory(tmp_path, ns):
    target = tmp_path / "escaped.txt"
    prog = py(f"open({str(target)!r}, 'w').write('x')\nprint('ok')")
    out = run_case(tmp_path, ns, [prog], STDIO)
    if not INFO["landlock_abi"]:
        pytest.skip("no Landlock: writes are limited by file permissions only")
    assert verdicts(out) == {"runtime_error"} and not target.exists()


def test_network_is_unreachable(tmp_path, ns):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        progs = [py(f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), 2)\n"
                    "print('ok')"),
                 py("import socket\nprint(socket.getaddrinfo('example.com', 80)[0])\nprint('ok')"),
                 py("import socket\nsocket.socket(socket.AF_INET, socket.SOCK_RAW, 1)\nprint('ok')")]
        out = run_case(tmp_path, ns, progs, STDIO * 3)
        assert verdicts(out) == {"runtime_error"}
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


FN_TESTS = [{"inputs": ["1", "2", "3"], "outputs": ["2", "4", "6"], "fn_name": "double"}]


def test_exit_zero_before_the_asserts(tmp_path, ns):
    progs = [py("import os\nos._exit(0)\ndef double(x):\n    return 2 * x"),
             py("import os\ndef double(x):\n    os._exit(0)"),
             py("import sys\ndef double(x):\n    sys.exit(0)"),
             py("import os\nos._exit(0)\nprint('ok')")]
    out = run_case(tmp_path, ns, progs, FN_TESTS * 3 + STDIO)
    assert out["rewards"] == [0.0] * 4
    assert "accepted" not in verdicts(out)


def test_rigged_results_do_not_pass(tmp_path, ns):
    progs = [
        py("class A:\n    def __eq__(self, o):\n        return True\n"
           "def double(x):\n    return A()"),
        py("class I(int):\n    def __eq__(self, o):\n        return True\n"
           "def double(x):\n    return I(0)"),
        py("import builtins, json\nbuiltins.isinstance = lambda *a: True\n"
           "json.dumps = lambda *a, **k: '2'\ndef double(x):\n    return 0"),
        py("import os\nfor i in range(3):\n    os.write(3, f'{i} ok 2\\n'.encode())\n"
           "def double(x):\n    return None"),
        py("import sys\ndef double(x):\n    f = sys._getframe(1)\n"
           "    f.f_locals.get('emit', print)\n    return 'wrong'"),
    ]
    out = run_case(tmp_path, ns, progs, FN_TESTS * len(progs))
    assert out["rewards"] == [0.0] * len(progs), out


def test_correct_function_still_passes_after_hostile_neighbours(tmp_path):
    out = run_case(tmp_path, "auto", [py("def double(x):\n    return 2 * x")], FN_TESTS)
    assert out["rewards"] == [1.0]


def test_only_std_fds_and_no_secrets_inherited(tmp_path, ns):
    prog = py("""
            import os
            open_fds = []
            for fd in range(3, 1024):
                try:
                    os.fstat(fd)
                    open_fds.append(fd)
                except OSError:
                    pass
            print(open_fds, sorted(k for k in os.environ if "SECRET" in k or "TOKEN" in k))""")
    out = run_case(tmp_path, ns, [prog], [[{"input": "", "output": "[] []"}]])
    assert out["verdicts"] == [["accepted"]]


def test_cleanup_never_follows_symlinks(tmp_path, ns):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "precious.txt").write_text("do not delete")
    prog = py(f"""
        import os
        os.symlink({str(keep)!r}, "link_to_keep")
        os.symlink("/", "link_to_root")
        os.mkdir("locked")
        open("locked/inner", "w").write("x")
        os.chmod("locked", 0)
        print("ok")""")
    out = run_case(tmp_path, ns, [prog], STDIO)
    assert out["verdicts"] == [["accepted"]]
    assert (keep / "precious.txt").read_text() == "do not delete"


# ----------------------------------------------------------------------------------------
# Escapes found by an attacker's probes with every layer active (issue 9). Each case checks the
# host-side effect: the listener, the file, the IPC object, the memory, the process.

def shared_dir(tmp_path):
    """A host directory every user can enter, holding the objects a program attacks."""
    target = reachable_root(tmp_path, "host objects")
    os.chmod(target, 0o777)
    return target


def test_unix_sockets_reach_no_host_listener(tmp_path, ns):
    path = str(shared_dir(tmp_path) / "listener.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind(f"\0grpo_c_adversarial_{os.getpid()}")
    for s in (listener, abstract):
        s.listen(4)
        s.setblocking(False)
    try:
        prog = py(f"""
            import socket
            for address in ({path!r}, "\\0grpo_c_adversarial_{os.getpid()}"):
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(address)
                    s.sendall(b"touch /tmp/pwned\\n")
                    print("connected")
                except OSError:
                    print("denied")""")
        out = run_case(tmp_path, ns, [prog], [[{"input": "", "output": "denied\ndenied"}]])
        for s in (listener, abstract):
            with pytest.raises(BlockingIOError):
                s.accept()
        assert out["verdicts"] == [["accepted"]]
    finally:
        listener.close()
        abstract.close()


def test_host_file_metadata_is_unchanged(tmp_path, ns):
    host = shared_dir(tmp_path)
    binary = host / "tool"
    shutil.copy("/bin/true", binary)
    os.chmod(binary, 0o755)
    folder = host / "folder"
    folder.mkdir()
    os.chmod(folder, 0o755)
    stamp = host / "stamp"
    stamp.write_text("x")
    os.chmod(stamp, 0o666)  # writable by anyone, yet its metadata stays the host's
    os.utime(stamp, (1_000_000_000, 1_000_000_000))
    before = {p: os.stat(p) for p in (binary, folder, stamp)}
    prog = py(f"""
        import os
        attempts = [lambda: os.chmod({str(binary)!r}, 0o4755), lambda: os.chmod({str(folder)!r}, 0),
                    lambda: os.utime({str(stamp)!r}, (0, 0)),
                    lambda: os.setxattr({str(stamp)!r}, "user.grpo", b"1"),
                    lambda: os.chown({str(stamp)!r}, 0, 0)]
        done = 0
        for attempt in attempts:
            try:
                attempt()
                done += 1
            except OSError:
                pass
        print(done)""")
    out = run_case(tmp_path, ns, [prog], [[{"input": "", "output": "0"}]])
    for path, st in before.items():
        now = os.stat(path)
        assert (now.st_mode, now.st_uid, now.st_mtime_ns) == (st.st_mode, st.st_uid, st.st_mtime_ns)
    assert os.listxattr(stamp) == []
    assert out["verdicts"] == [["accepted"]]


libc = __import__("ctypes").CDLL(None, use_errno=True)
IPC_CREAT, IPC_RMID, IPC_STAT = 0o1000, 0, 2


def sysv_ids(kind):
    with open(f"/proc/sysvipc/{kind}") as f:
        return {line.split()[1] for line in f.readlines()[1:]}


def test_host_ipc_objects_are_out_of_reach(tmp_path, ns):
    import ctypes

    key = 0x6A900000 + os.getpid() % 65536
    libc.shmat.restype = ctypes.c_void_p
    shm = libc.shmget(key, 4096, IPC_CREAT | 0o600)
    assert shm >= 0
    address = libc.shmat(shm, None, 0)
    ctypes.memmove(address, b"HOST-SECRET\0", 12)
    queue = libc.msgget(key, IPC_CREAT | 0o600)
    message = ctypes.create_string_buffer(b"\1\0\0\0\0\0\0\0HOST-MESSAGE", 20)
    assert libc.msgsnd(queue, message, 12, 0) == 0
    before = sysv_ids("shm"), sysv_ids("msg"), sysv_ids("sem")
    try:
        prog = py(f"""
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.shmat.restype = ctypes.c_void_p
            reached = 0
            shm = libc.shmget({key}, 0, 0)
            if shm >= 0:
                p = libc.shmat(shm, None, 0)
                if p not in (None, ctypes.c_void_p(-1).value):
                    ctypes.memmove(p, b"OVERWRITTEN", 11)
                    reached += 1
            q = libc.msgget({key}, 0)
            buf = ctypes.create_string_buffer(64)
            if q >= 0 and libc.msgrcv(q, buf, 56, 0, 0o4000) > 0:
                reached += 1
            # Objects of its own: 128 MiB that would outlive the run in the host namespace.
            for k in range(4):
                seg = libc.shmget(0x6B000000 + k, 32 << 20, {IPC_CREAT} | 0o666)
                if seg >= 0:
                    p = libc.shmat(seg, None, 0)
                    if p not in (None, ctypes.c_void_p(-1).value):
                        ctypes.memset(p, 1, 32 << 20)
            libc.msgget(0x6B100000, {IPC_CREAT} | 0o666)
            libc.semget(0x6B200000, 1, {IPC_CREAT} | 0o666)
            print(reached)""")
        out = run_case(tmp_path, ns, [prog], [[{"input": "", "output": "0"}]], memory_mb=512)
        assert ctypes.string_at(address, 11) == b"HOST-SECRET"
        stat = (ctypes.c_ubyte * 256)()
        assert libc.msgctl(queue, IPC_STAT, stat) == 0
        qnum = ctypes.c_ulong.from_buffer(stat, 80 if ctypes.sizeof(ctypes.c_void_p) == 8 else 0)
        assert qnum.value == 1, "the host's message was taken"
        assert (sysv_ids("shm"), sysv_ids("msg"), sysv_ids("sem")) == before, "IPC objects left"
        assert out["verdicts"] == [["accepted"]]
    finally:
        libc.shmdt(ctypes.c_void_p(address))
        libc.shmctl(shm, IPC_RMID, None)
        libc.msgctl(queue, IPC_RMID, None)


def held_mib(out):
    held = [int(word) for m in out["messages"][0] for word in m.split() if word.isdigit()]
    return max(held, default=0)


@pytest.mark.parametrize("how", ["memfd", "shm", "devshm"])
def test_pages_outside_the_address_space_are_bounded(tmp_path, ns, how):
    # RLIMIT_AS does not count memfd, SysV shm or tmpfs pages, and RLIMIT_FSIZE bounds only
    # one file: many memfds held open, segments left attached to nothing, files in /dev/shm
    # pin memory past both. The memory cgroup counts them (or, without one, the filter
    # refuses memfd and shm, and /dev/shm is a small tmpfs).
    grab = {
        "memfd": "fd = os.memfd_create('x'); os.write(fd, chunk); keep.append(fd)",
        "shm": "seg = libc.shmget(0, len(chunk), 0o1600); p = libc.shmat(seg, None, 0); "
               "ctypes.memmove(p, chunk, len(chunk)); libc.shmdt(ctypes.c_void_p(p))",
        "devshm": "fd = os.open(f'/dev/shm/f{i}', os.O_CREAT | os.O_WRONLY, 0o600); "
                  "os.write(fd, chunk); os.close(fd)",
    }[how]
    prog = py(f"""
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        libc.shmat.restype = ctypes.c_void_p
        chunk, keep = b"x" * (32 << 20), []
        for i in range(60):
            {grab}
            print("held", 32 * (i + 1), file=sys.stderr, flush=True)
        sys.exit(1)  # a failed run: its message is the stderr tail, the amount held""")
    memory_mb, output_mb = 256, 32
    out = run_case(tmp_path, ns, [prog], STDIO, memory_mb=memory_mb, output_mb=output_mb,
                   timeout=10)
    assert "accepted" not in verdicts(out)
    # The documented bound of a run: memory_mb + its files (output_mb) + /dev/shm (output_mb)
    # + 16 MiB; the program held at most that much before it was stopped.
    assert held_mib(out) <= memory_mb + 2 * output_mb + 17, out["messages"]


def test_fallback_cannot_reschedule_or_signal_host_processes(tmp_path):
    victim = subprocess.Popen(["sleep", "60"])
    try:
        sched_setattr = {"x86_64": 314, "aarch64": 274}[os.uname().machine]
        sigqueue = {"x86_64": 129, "aarch64": 138}[os.uname().machine]
        prog = py(f"""
            import ctypes, struct
            libc = ctypes.CDLL(None, use_errno=True)
            attr = struct.pack("=IIQiIQQQ", 48, 5, 0, 0, 0, 0, 0, 0)  # SCHED_IDLE
            a = libc.syscall({sched_setattr}, {victim.pid}, attr, 0)
            info = ctypes.create_string_buffer(128)
            ctypes.memmove(info, struct.pack("=iii", 9, 0, -1), 12)
            b = libc.syscall({sigqueue}, {victim.pid}, 9, info)
            print(a, b)""")
        out = run_case(tmp_path, "off", [prog], [[{"input": "", "output": "-1 -1"}]])
        time.sleep(0.1)
        assert victim.poll() is None, "a sandboxed program killed a host process"
        assert os.sched_getscheduler(victim.pid) == os.SCHED_OTHER
        assert out["verdicts"] == [["accepted"]]
    finally:
        victim.kill()
        victim.wait()


def test_any_depth_is_cleaned_up(tmp_path, ns):
    # run_case checks that the temp root is empty afterwards.
    prog = py("""
        import os
        for i in range(600):
            os.mkdir("d")
            os.chdir("d")
        open("f", "w").write("x")
        os.chmod(".", 0)
        print("ok")""")
    out = run_case(tmp_path, ns, [prog], STDIO)
    assert out["verdicts"] == [["accepted"]]


LEFTOVERS = {
    "locked": """
        import os
        os.makedirs("a/b", exist_ok=True)
        os.chmod("a/b", 0)
        os.chmod("a", 0o500)
        """,
    "deep": """
        import os
        os.makedirs("/".join(["d"] * 60), exist_ok=True)
        """,
    "cwd_locked": """
        import os
        open("junk", "w").write("x")
        os.chmod(".", 0)
        """,
}


@pytest.mark.parametrize("leftover", sorted(LEFTOVERS))
def test_what_a_test_leaves_does_not_change_later_verdicts(tmp_path, ns, leftover):
    prog = py("print(int(input()) * 2)\n" + textwrap.dedent(LEFTOVERS[leftover]))
    tests = [[{"input": str(i), "output": str(2 * i)} for i in range(5)]]
    out = run_case(tmp_path, ns, [prog], tests)
    assert out["verdicts"] == [["accepted"] * 5]


def test_stderr_cap_does_not_depend_on_the_number_of_tests(tmp_path, ns):
    prog = py("import sys\nsys.stderr.write('e' * (2 << 20))\nprint(input())")
    for n in (1, 2, 4):
        tests = [[{"input": str(i), "output": str(i)} for i in range(n)]]
        out = run_case(tmp_path, ns, [prog], tests)
        assert out["verdicts"] == [["output_limit"] * n], n


def test_a_test_cannot_see_other_tests_inputs(tmp_path, ns):
    prog = py("""
        import gc, os, re, sys
        mine = sys.stdin.read().strip()
        seen = set()
        def look(data):
            if isinstance(data, str):
                data = data.encode("utf-8", "replace")
            if isinstance(data, (bytes, bytearray)):
                seen.update(m.decode() for m in re.findall(rb"MARK-[0-9]+", bytes(data)))
        for top, dirs, files in os.walk("."):
            for name in files:
                try:
                    look(open(os.path.join(top, name), "rb").read())
                except OSError:
                    pass
        for fd in range(64):
            try:
                look(os.pread(fd, 1 << 20, 0))
            except OSError:
                pass
        for obj in gc.get_objects():
            items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ()
            for item in items:
                look(item)
        others = sorted(seen - {mine})
        print("clean" if not others else "leak " + " ".join(others))""")
    tests = [[{"input": f"MARK-{i}", "output": "clean"} for i in range(4)]]
    out = run_case(tmp_path, ns, [prog], tests)
    assert out["verdicts"] == [["accepted"] * 4], out["messages"]


def test_host_paths_pids_and_inotify_are_out_of_reach(tmp_path, ns):
    hidden = ns != "off" and INFO["namespaces"]
    # Host paths that exist (the root view holds the interpreter's prefix, so /root itself
    # may be there as an empty directory of the view).
    host_paths = [p for p in ("/etc/shadow", "/etc/hostname", "/root/.bashrc", "/root/.ssh",
                              "/proc/1", f"/proc/{os.getpid()}", "/run", "/var", "/home",
                              "/sys/fs/cgroup", str(tmp_path)) if os.path.lexists(p)]
    prog = py(f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        found = []
        for path in {host_paths!r}:
            try:
                os.stat(path)
                found.append(path)
            except OSError:
                pass
        print("inotify", libc.inotify_init1(0) >= 0)
        print("visible", found if {hidden} else [])""")
    out = run_case(tmp_path, ns, [prog], [[{"input": "", "output": "inotify False\nvisible []"}]])
    assert out["verdicts"] == [["accepted"]], out["messages"]


def test_programs_never_run_as_host_root(tmp_path, ns):
    prog = py("""
        import os
        print(os.getuid() != 0 or not os.path.exists("/proc/self/uid_map"),
              os.getgid() != 0 or not os.path.exists("/proc/self/gid_map"), os.getgroups() in ([], [os.getgid()]))""")
    if os.geteuid() == 0:
        # In the root view (no /proc) and in the fallback alike, the ids are the sandbox's.
        prog = py("""
            import os
            print(os.getuid() >= 2000000000, os.getgid() >= 2000000000, os.getgroups() in ([], [os.getgid()]))""")
    out = run_case(tmp_path, ns, [prog], [[{"input": "", "output": "True True True"}]])
    assert out["verdicts"] == [["accepted"]]


@pytest.mark.skipif("memory_cgroup" not in INFO["layers"], reason="no memory cgroup here")
def test_memory_peak_is_reported_and_within_the_run_bound(tmp_path):
    from grpo_c import _sandbox

    limits = {"wall_seconds": 10.0, "cpu_seconds": 5.0, "memory_bytes": 256 << 20,
              "file_bytes": 8 << 20, "stdout_bytes": 1 << 20, "stderr_bytes": 1 << 20,
              "collect_bytes": 0, "max_processes": 1, "open_files": 128, "namespaces": 0}
    grab = "import os\nfds = []\nwhile True:\n    fd = os.memfd_create('x'); os.write(fd, b'x' * (8 << 20)); fds.append(fd)\n"
    jobs = [{"argv": ["/bin/true"]}, {"argv": [fallback_interpreter(), "-I", "-c", grab]}]
    quiet, hog = _sandbox.run_batch([dict(j, temp_root=str(reachable_root(tmp_path)))
                                     for j in jobs], limits, 1)
    assert quiet["status"] == _sandbox.EXITED and 0 < quiet["memory_peak_bytes"] < 64 << 20
    assert hog["status"] == _sandbox.MEMORY_LIMIT and hog["oom_kills"] >= 1
    bound = limits["memory_bytes"] + 2 * limits["file_bytes"] + (17 << 20) + 4096
    assert hog["memory_peak_bytes"] <= bound
