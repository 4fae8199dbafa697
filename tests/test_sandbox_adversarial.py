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


def reachable_root(tmp_path):
    """A temp root under /tmp, searchable by others (pytest's tmp_path is 0700): in the
    fallback a root caller's sandbox uid reaches its workspace by path."""
    if tmp_path not in _ROOTS:
        _ROOTS[tmp_path] = tempfile.mkdtemp(prefix="grpo_c_adversarial.")
        os.chmod(_ROOTS[tmp_path], 0o711)
    return pathlib.Path(_ROOTS[tmp_path])


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
