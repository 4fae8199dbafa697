"""Runs inside the sandbox for function-call tests. It reads its nonce and the arguments from
stdin before the candidate's code exists, binds every builtin it needs before running that
code, and writes one line per test to fd 3: "<nonce> <index> ok <json>" or an error name.
A test without such a line (the program exited early, hung, crashed) fails in the parent.
"""
import sys, json, signal, os
def _harness(_open=open, _type=type, _int=int, _float=float, _str=str, _bool=bool,
             _list=list, _tuple=tuple, _dict=dict, _len=len, _range=range, _repr=repr,
             _isinstance=isinstance, _getattr=getattr, _Exception=BaseException,
             _setitimer=signal.setitimer, _ITIMER=signal.ITIMER_REAL, _signal=signal.signal,
             _SIGALRM=signal.SIGALRM, _exec=exec, _compile=compile, _write=os.write,
             _dumps=json.dumps):
    chan = 3
    header = sys.stdin.buffer.readline()
    nonce = header.decode().strip()
    spec = json.loads(sys.stdin.buffer.read().decode())
    timeout, fn_name, calls = spec["timeout"], spec["fn_name"], spec["args"]
    class _Timeout(Exception):
        pass
    def _alarm(signum, frame):
        raise _Timeout()
    def canon(v, depth=0):
        t = _type(v)
        if depth > 100:
            raise ValueError("too deep")
        if v is None or t is _bool or t is _str:
            return v
        if t is _int:
            return v
        if t is _float:
            return v if v == v and v not in (float("inf"), float("-inf")) else _repr(v)
        if t is _list or t is _tuple:
            return [canon(x, depth + 1) for x in v]
        if t is _dict:
            return {_str(canon(k, depth + 1)): canon(x, depth + 1) for k, x in v.items()}
        raise TypeError("unsupported result type " + t.__name__)
    def emit(i, status, payload):
        line = nonce + " " + _str(i) + " " + status + " " + payload + "\n"
        data = line.encode()
        while data:
            n = _write(chan, data)
            data = data[n:]
    source = _open("solution.py", encoding="utf-8").read()
    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    _signal(_SIGALRM, _alarm)
    try:
        _setitimer(_ITIMER, timeout * (_len(calls) + 1))
        _exec(_compile(source, "solution.py", "exec"), namespace)
        _setitimer(_ITIMER, 0)
    except _Exception as exc:
        _setitimer(_ITIMER, 0)
        for i in _range(_len(calls)):
            emit(i, "error", _type(exc).__name__)
        return
    fn = namespace.get(fn_name)
    if fn is None and "Solution" in namespace:
        fn = _getattr(namespace["Solution"](), fn_name, None)
    for i in _range(_len(calls)):
        if fn is None:
            emit(i, "error", "NameError")
            continue
        try:
            _setitimer(_ITIMER, timeout)
            value = fn(*calls[i])
            _setitimer(_ITIMER, 0)
            emit(i, "ok", _dumps(canon(value)))
        except _Timeout:
            emit(i, "timeout", "-")
        except _Exception as exc:
            _setitimer(_ITIMER, 0)
            emit(i, "error", _type(exc).__name__)


if __name__ == "__main__":
    _harness()
