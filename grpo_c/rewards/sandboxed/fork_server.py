"""Fork server for stdin/stdout tests of one Python program (python_startup="fork"): started
once per program in the sandbox (so interpreter start-up is paid once), it compiles the
program, then for each test forks a child that takes the test's input as stdin, drops every
other descriptor (the result channel included), sets its CPU limit, installs the sandbox's
no-fork seccomp filter and runs the program as __main__. Inputs arrive on stdin one at a
time (each behind its length in 16 hex digits) and go straight into an unnamed file, so a
test's child holds no other test's input, in memory or in the workspace. After each test the
workspace is emptied and solution.py rewritten, as a process-per-test run would find it. The
server reports "<nonce> <index> <exit|signal|killed> <value> <cpu> <wall> <out size>
<err size> <disk full> <len out> <len err>\n" followed by the raw output and the tail of
stderr on fd 3; the parent compares with the expected output, which never enters the sandbox.
"""
import os, sys, time, signal, resource, ctypes, types, select
def _serve():
    def read_exact(n):
        parts = []
        while n:
            chunk = os.read(0, n)
            if not chunk:
                raise EOFError
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)
    # One header: nonce, tests, CPU seconds, wall seconds, stdout, stderr and file caps, stop
    # on error, filter. (No json here: importing it costs more than the rest of the start-up.)
    fields = read_exact(int(read_exact(16), 16)).decode().split()
    nonce, n, cpu, wall = fields[0], int(fields[1]), int(fields[2]), float(fields[3])
    out_cap, err_cap, file_cap = int(fields[4]), int(fields[5]), int(fields[6])
    stop_on_error, raw = fields[7] == "1", bytes.fromhex(fields[8])
    with open("solution.py", "rb") as f:
        source = f.read()
    os.unlink("server.py")
    code, compile_error = None, ""
    try:
        code = compile(source, "solution.py", "exec")
    except BaseException:
        import traceback
        compile_error = traceback.format_exc()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: children cannot read this process
    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    keep = ctypes.create_string_buffer(raw, len(raw))
    prog = Fprog(len(raw) // 8, ctypes.cast(keep, ctypes.c_void_p))
    workspace = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    chunk = bytearray(1 << 16)
    window = memoryview(chunk)
    def unnamed_file():
        return os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600, dir_fd=workspace)
    def next_input():
        size, fd = int(read_exact(16), 16), unnamed_file()
        while size:
            got = os.readv(0, [window[:min(size, len(chunk))]])
            if not got:
                raise EOFError
            done = 0
            while done < got:
                done += os.write(fd, window[done:got])
            size -= got
        window[:] = bytes(len(chunk))
        os.lseek(fd, 0, os.SEEK_SET)
        return fd
    def wipe():
        # Everything the test left goes, at any depth and whatever its modes: descend by
        # descriptor, come back through "..", never enter a directory twice.
        os.fchmod(workspace, 0o700)
        fd, depth, done = os.dup(workspace), 0, set()
        while True:
            child = None
            for entry in os.scandir(fd):
                try:
                    os.unlink(entry.name, dir_fd=fd)
                    continue
                except IsADirectoryError:
                    pass
                except OSError:
                    continue
                try:
                    os.chmod(entry.name, 0o700, dir_fd=fd)
                    os.rmdir(entry.name, dir_fd=fd)
                    continue
                except OSError:
                    pass
                try:
                    sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except OSError:
                    continue
                st = os.fstat(sub)
                if (st.st_dev, st.st_ino) in done:
                    os.close(sub)
                    continue
                child = sub
                break
            if child is not None:
                os.close(fd)
                fd, depth = child, depth + 1
                continue
            if depth == 0:
                break
            st = os.fstat(fd)
            done.add((st.st_dev, st.st_ino))
            up = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd, depth = up, depth - 1
        os.close(fd)
        fd = os.open("solution.py", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=workspace)
        with open(fd, "wb") as f:
            f.write(source)
    def child(fds):
        for src, dst in zip(fds, (0, 1, 2)):
            os.dup2(src, dst)
        os.closerange(3, 65536)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_cap, file_cap))
        if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
            os._exit(1)
        sys.stdin = open(0, "r", encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)
        sys.argv = ["solution.py"]
        main = types.ModuleType("__main__")
        main.__file__ = "solution.py"
        sys.modules["__main__"] = main
        status = 0
        try:
            if code is None:
                sys.stderr.write(compile_error)
                status = 1
            else:
                exec(code, main.__dict__)
        except SystemExit as e:
            if e.code is None:
                status = 0
            elif isinstance(e.code, int):
                status = e.code
            else:
                sys.stderr.write(str(e.code) + "\n")
                status = 1
        except BaseException:
            try:
                import traceback
                traceback.print_exc()
            except BaseException:
                pass
            status = 1
        # What interpreter shutdown would do: join threads, run atexit, flush.
        try:
            if "threading" in sys.modules:
                sys.modules["threading"]._shutdown()
            import atexit
            atexit._run_exitfuncs()
        except BaseException:
            status = status or 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                status = status or 120
        os._exit(status & 0xFF)
    # Children must be confinable: check once, or give up (exit 3: no test can be judged).
    probe = os.fork()
    if probe == 0:
        os._exit(0 if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0 else 1)
    if os.waitpid(probe, 0)[1] != 0:
        sys.exit(3)
    for i in range(n):
        fds = (next_input(), unnamed_file(), unnamed_file())
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            try:
                child(fds)
            finally:
                os._exit(1)
        killed = False
        try:
            waiter = os.pidfd_open(pid)
        except (AttributeError, OSError):
            waiter = None
        while True:
            got, status, usage = os.wait4(pid, os.WNOHANG)
            if got:
                break
            left = start + wall - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                got, status, usage = os.wait4(pid, 0)
                killed = True
                break
            if waiter is not None:
                select.select([waiter], [], [], left)
            else:
                time.sleep(min(left, 0.001))
        if waiter is not None:
            os.close(waiter)
        elapsed = time.monotonic() - start
        sizes = [os.fstat(fd).st_size for fd in fds[1:]]
        out = os.pread(fds[1], out_cap + 1, 0)
        err = os.pread(fds[2], 2000, max(0, sizes[1] - 2000))
        full = int(os.fstatvfs(fds[1]).f_bavail == 0)
        for fd in fds:
            os.close(fd)
        wipe()
        if killed:
            how, value = "killed", 9
        elif os.WIFSIGNALED(status):
            how, value = "signal", os.WTERMSIG(status)
        else:
            how, value = "exit", os.WEXITSTATUS(status)
        cpu_used = usage.ru_utime + usage.ru_stime
        head = "%s %d %s %d %.6f %.6f %d %d %d %d %d\n" % (
            nonce, i, how, value, cpu_used, elapsed, sizes[0], sizes[1], full, len(out), len(err))
        data = head.encode() + out + err
        while data:
            data = data[os.write(3, data):]
        if stop_on_error and (how != "exit" or value != 0):
            break


if __name__ == "__main__":
    _serve()
