/*
 * _sandbox.c - binding of the sandbox runner and the output comparators as grpo_c._sandbox.
 *
 * run_batch() converts every job to C structs while holding the GIL (the bytes objects are
 * kept alive in one list), then runs the whole batch with the GIL released, so many programs
 * run at once on all cores while other Python threads keep going.
 */
#include "binding.h"

/* Everything a batch borrows from Python objects or allocates, freed in one place. */
typedef struct batch_storage {
    PyObject *keep;      /* list of bytes objects whose buffers the jobs point into */
    void **blocks;       /* malloc-ed pointer arrays */
    Py_ssize_t n_blocks, cap_blocks;
} batch_storage;

static void *storage_alloc(batch_storage *st, size_t size) {
    if (st->n_blocks == st->cap_blocks) {
        Py_ssize_t cap = st->cap_blocks ? 2 * st->cap_blocks : 64;
        void **grown = PyMem_Realloc(st->blocks, (size_t)cap * sizeof(void *));
        if (!grown) return PyErr_NoMemory();
        st->blocks = grown;
        st->cap_blocks = cap;
    }
    void *p = PyMem_Calloc(1, size ? size : 1);
    if (!p) return PyErr_NoMemory();
    st->blocks[st->n_blocks++] = p;
    return p;
}

static void storage_free(batch_storage *st) {
    for (Py_ssize_t i = 0; i < st->n_blocks; i++) PyMem_Free(st->blocks[i]);
    PyMem_Free(st->blocks);
    Py_XDECREF(st->keep);
}

/* str -> filesystem bytes, bytes -> itself; the result is kept alive in st->keep. */
static const char *as_bytes(batch_storage *st, PyObject *obj, const char *what, size_t *len) {
    PyObject *b = NULL;
    if (PyBytes_Check(obj)) {
        b = obj;
        Py_INCREF(b);
    } else if (PyUnicode_Check(obj)) {
        b = PyUnicode_AsUTF8String(obj);
        if (!b) return NULL;
    } else {
        PyErr_Format(PyExc_TypeError, "%s: expected str or bytes, got %.100s", what,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    if (PyList_Append(st->keep, b) != 0) {
        Py_DECREF(b);
        return NULL;
    }
    Py_DECREF(b);
    if (len) *len = (size_t)PyBytes_GET_SIZE(b);
    return PyBytes_AS_STRING(b);
}

/* A list of str -> NULL-terminated array of C strings (no embedded NULs allowed). */
static const char *const *as_string_array(batch_storage *st, PyObject *seq, const char *what) {
    if (seq == NULL || seq == Py_None) return NULL;
    PyObject *fast = PySequence_Fast(seq, what);
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    const char **arr = storage_alloc(st, (size_t)(n + 1) * sizeof(char *));
    for (Py_ssize_t i = 0; arr && i < n; i++) {
        size_t len;
        arr[i] = as_bytes(st, PySequence_Fast_GET_ITEM(fast, i), what, &len);
        if (arr[i] && strlen(arr[i]) != len) {
            PyErr_Format(PyExc_ValueError, "%s: strings must not contain NUL", what);
            arr[i] = NULL;
        }
        if (!arr[i]) arr = NULL;
    }
    Py_DECREF(fast);
    return arr;
}

static int get_double(PyObject *d, const char *key, double *out) {
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v) {
        PyErr_Format(PyExc_KeyError, "limits: missing %s", key);
        return -1;
    }
    *out = PyFloat_AsDouble(v);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

static int get_i64(PyObject *d, const char *key, int64_t *out) {
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v) {
        PyErr_Format(PyExc_KeyError, "limits: missing %s", key);
        return -1;
    }
    long long x = PyLong_AsLongLong(v);
    if (x == -1 && PyErr_Occurred()) return -1;
    *out = (int64_t)x;
    return 0;
}

static int parse_limits(PyObject *d, grpo_sandbox_limits *l) {
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "limits: expected a dict");
        return -1;
    }
    int64_t procs, files, ns;
    if (get_double(d, "wall_seconds", &l->wall_seconds) || get_double(d, "cpu_seconds", &l->cpu_seconds) ||
        get_i64(d, "memory_bytes", &l->memory_bytes) || get_i64(d, "file_bytes", &l->file_bytes) ||
        get_i64(d, "stdout_bytes", &l->stdout_bytes) || get_i64(d, "stderr_bytes", &l->stderr_bytes) ||
        get_i64(d, "collect_bytes", &l->collect_bytes) || get_i64(d, "max_processes", &procs) ||
        get_i64(d, "open_files", &files) || get_i64(d, "namespaces", &ns))
        return -1;
    if (procs < 1 || procs > 1 << 20 || files < 4 || files > 1 << 20) {
        PyErr_SetString(PyExc_ValueError, "limits: max_processes/open_files out of range");
        return -1;
    }
    l->max_processes = (int)procs;
    PyObject *tasks = PyDict_GetItemString(d, "max_tasks");
    l->max_tasks = 64;
    if (tasks) {
        long t = PyLong_AsLong(tasks);
        if (t == -1 && PyErr_Occurred()) return -1;
        if (t < 0 || t > 1 << 20) {
            PyErr_SetString(PyExc_ValueError, "limits: max_tasks out of range");
            return -1;
        }
        l->max_tasks = (int)t;
    }
    l->open_files = (int)files;
    if (ns < GRPO_SANDBOX_NS_AUTO || ns > GRPO_SANDBOX_NS_OFF) {
        PyErr_SetString(PyExc_ValueError, "limits: namespaces must be 0 (auto), 1 (require) or 2 (off)");
        return -1;
    }
    l->namespaces = (int)ns;
    return 0;
}

static int parse_job(batch_storage *st, PyObject *d, grpo_sandbox_job *job) {
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "jobs: each job must be a dict");
        return -1;
    }
    PyObject *argv = PyDict_GetItemString(d, "argv");
    if (!argv) {
        PyErr_SetString(PyExc_KeyError, "jobs: missing argv");
        return -1;
    }
    if (!(job->argv = as_string_array(st, argv, "argv"))) return -1;
    PyObject *env = PyDict_GetItemString(d, "env");
    if (env && env != Py_None && !(job->env = as_string_array(st, env, "env"))) return -1;
    PyObject *paths = PyDict_GetItemString(d, "read_paths");
    if (paths && paths != Py_None && !(job->read_paths = as_string_array(st, paths, "read_paths")))
        return -1;
    PyObject *in = PyDict_GetItemString(d, "stdin");
    if (in && in != Py_None && !(job->stdin_data = as_bytes(st, in, "stdin", &job->stdin_len)))
        return -1;
    PyObject *collect = PyDict_GetItemString(d, "collect");
    if (collect && collect != Py_None && !(job->collect = as_bytes(st, collect, "collect", NULL)))
        return -1;
    PyObject *root = PyDict_GetItemString(d, "temp_root");
    if (root && root != Py_None && !(job->temp_root = as_bytes(st, root, "temp_root", NULL)))
        return -1;
    PyObject *own = PyDict_GetItemString(d, "limits");
    if (own && own != Py_None) {
        grpo_sandbox_limits *l = storage_alloc(st, sizeof *l);
        if (!l || parse_limits(own, l) != 0) return -1;
        job->limits = l;
    }
    PyObject *chan = PyDict_GetItemString(d, "channel");
    job->channel = chan ? PyObject_IsTrue(chan) : 0;
    if (job->channel < 0) return -1;
    PyObject *files = PyDict_GetItemString(d, "files");
    if (files && files != Py_None) {
        PyObject *fast = PySequence_Fast(files, "files: expected a sequence of (name, data, exec)");
        if (!fast) return -1;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
        grpo_sandbox_file *arr = storage_alloc(st, (size_t)n * sizeof(grpo_sandbox_file));
        int ok = arr != NULL;
        for (Py_ssize_t i = 0; ok && i < n; i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3) {
                PyErr_SetString(PyExc_TypeError, "files: each entry must be (name, data, exec)");
                ok = 0;
                break;
            }
            arr[i].name = as_bytes(st, PyTuple_GET_ITEM(item, 0), "files name", NULL);
            arr[i].data = as_bytes(st, PyTuple_GET_ITEM(item, 1), "files data", &arr[i].len);
            arr[i].executable = PyObject_IsTrue(PyTuple_GET_ITEM(item, 2));
            ok = arr[i].name && arr[i].data && arr[i].executable >= 0;
        }
        Py_DECREF(fast);
        if (!ok) return -1;
        job->files = arr;
        job->n_files = n;
    }
    return 0;
}

static PyObject *bytes_or_none(const char *p, size_t n) {
    return PyBytes_FromStringAndSize(p ? p : "", (Py_ssize_t)n);
}

static PyObject *result_dict(const grpo_sandbox_result *r) {
    PyObject *collected = r->collected ? bytes_or_none(r->collected, r->collected_len) : Py_None;
    if (r->collected == NULL) Py_INCREF(Py_None);
    if (!collected) return NULL;
    return Py_BuildValue("{s:i,s:i,s:i,s:d,s:d,s:L,s:L,s:L,s:N,s:N,s:N,s:N,s:I,s:i,s:s}",
                         "status", (int)r->status, "exit_code", r->exit_code, "signal", r->signal,
                         "wall_seconds", r->wall_seconds, "cpu_seconds", r->cpu_seconds,
                         "max_rss_bytes", (long long)r->max_rss_bytes,
                         "memory_peak_bytes", (long long)r->memory_peak_bytes,
                         "oom_kills", (long long)r->oom_kills,
                         "stdout", bytes_or_none(r->out, r->out_len),
                         "stderr", bytes_or_none(r->err, r->err_len),
                         "channel", bytes_or_none(r->channel, r->channel_len),
                         "collected", collected, "isolation", r->isolation,
                         "errno", r->sys_errno, "error_step", r->error_step);
}

static PyObject *py_run_batch(PyObject *self, PyObject *args) {
    PyObject *jobs_obj, *limits_obj, *fast = NULL, *out = NULL;
    int workers;
    if (!PyArg_ParseTuple(args, "OOi", &jobs_obj, &limits_obj, &workers)) return NULL;
    batch_storage st = {PyList_New(0), NULL, 0, 0};
    grpo_sandbox_job *jobs = NULL;
    grpo_sandbox_result *results = NULL;
    grpo_sandbox_limits limits;
    memset(&limits, 0, sizeof limits);
    if (!st.keep) goto fail;
    if (workers < 1 || workers > 1024) {
        PyErr_Format(PyExc_ValueError, "workers: expected an integer in [1, 1024], got %d", workers);
        goto fail;
    }
    if (parse_limits(limits_obj, &limits) != 0) goto fail;
    fast = PySequence_Fast(jobs_obj, "jobs: expected a sequence of dicts");
    if (!fast) goto fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    jobs = PyMem_Calloc((size_t)(n ? n : 1), sizeof *jobs);
    results = PyMem_Calloc((size_t)(n ? n : 1), sizeof *results);
    if (!jobs || !results) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (parse_job(&st, PySequence_Fast_GET_ITEM(fast, i), &jobs[i]) != 0) goto fail;
    grpo_status status;
    Py_BEGIN_ALLOW_THREADS
    status = grpo_sandbox_run_batch(results, jobs, n, &limits, workers);
    Py_END_ALLOW_THREADS
    if (status != GRPO_OK) {
        for (Py_ssize_t i = 0; i < n; i++) grpo_sandbox_result_free(&results[i]);
        binding_raise(status, "run_batch");
        goto fail;
    }
    out = PyList_New(n);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *d = out ? result_dict(&results[i]) : NULL;
        if (d) PyList_SET_ITEM(out, i, d);
        else Py_CLEAR(out);
        grpo_sandbox_result_free(&results[i]);
    }
    if (!out) goto fail;
    PyMem_Free(jobs);
    PyMem_Free(results);
    Py_DECREF(fast);
    storage_free(&st);
    return out;
fail:
    PyMem_Free(jobs);
    PyMem_Free(results);
    Py_XDECREF(fast);
    storage_free(&st);
    return NULL;
}

static PyObject *py_compare(PyObject *self, PyObject *args) {
    Py_buffer actual, expected;
    int mode;
    double rel_tol, abs_tol;
    if (!PyArg_ParseTuple(args, "y*y*idd", &actual, &expected, &mode, &rel_tol, &abs_tol))
        return NULL;
    int equal = 0;
    grpo_status status = grpo_compare_output(&equal, actual.buf, (size_t)actual.len, expected.buf,
                                             (size_t)expected.len, (grpo_compare_mode)mode,
                                             rel_tol, abs_tol);
    PyBuffer_Release(&actual);
    PyBuffer_Release(&expected);
    if (status != GRPO_OK) return binding_raise(status, "compare");
    return PyBool_FromLong(equal);
}

static PyObject *py_classify(PyObject *self, PyObject *args) {
    grpo_sandbox_end end = {0};
    grpo_sandbox_result r = {0};
    grpo_sandbox_limits limits;
    Py_buffer err;
    PyObject *limits_obj;
    long long oom_kills;
    int kind;
    if (!PyArg_ParseTuple(args, "iidy*pppLO", &kind, &end.value, &r.cpu_seconds, &err, &end.over,
                          &end.disk_full, &end.oom_shared, &oom_kills, &limits_obj))
        return NULL;
    if (kind < GRPO_SANDBOX_END_EXIT || kind > GRPO_SANDBOX_END_OUTPUT ||
        parse_limits(limits_obj, &limits) != 0) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "kind: expected an END_* value, got %d", kind);
        PyBuffer_Release(&err);
        return NULL;
    }
    end.kind = (grpo_sandbox_end_kind)kind;
    r.err = err.buf;
    r.err_len = (size_t)err.len;
    r.oom_kills = (int64_t)oom_kills;
    grpo_sandbox_classify(&r, &end, &limits);
    PyBuffer_Release(&err);
    return Py_BuildValue("{s:i,s:i,s:i}", "status", (int)r.status, "exit_code", r.exit_code,
                         "signal", r.signal);
}

static PyObject *py_probe(PyObject *self, PyObject *noargs) {
    int ns_errno = 0, abi = 0;
    unsigned bits;
    Py_BEGIN_ALLOW_THREADS
    bits = grpo_sandbox_probe(&ns_errno, &abi);
    Py_END_ALLOW_THREADS
    return Py_BuildValue("(Iii)", bits, ns_errno, abi);
}

static PyObject *py_nofork_filter(PyObject *self, PyObject *noargs) {
    uint8_t buf[4096];
    size_t len = 0;
    grpo_status status = grpo_sandbox_nofork_filter(buf, sizeof buf, &len);
    if (status == GRPO_ERR_UNSUPPORTED) Py_RETURN_NONE;
    if (status != GRPO_OK) return binding_raise(status, "nofork_filter");
    return PyBytes_FromStringAndSize((const char *)buf, (Py_ssize_t)len);
}

static PyMethodDef sandbox_methods[] = {
    {"nofork_filter", py_nofork_filter, METH_NOARGS,
     "nofork_filter() -> bytes of the no-fork seccomp program, or None on this architecture."},
    {"run_batch", py_run_batch, METH_VARARGS,
     "run_batch(jobs, limits, workers) -> list of result dicts; runs with the GIL released."},
    {"classify", py_classify, METH_VARARGS,
     "classify(kind, value, cpu_seconds, stderr, over, disk_full, oom_shared, oom_kills, limits)"
     " -> {status, exit_code, signal}: the verdict of a process a fork server ran."},
    {"compare", py_compare, METH_VARARGS,
     "compare(actual, expected, mode, rel_tol, abs_tol) -> bool."},
    {"probe", py_probe, METH_NOARGS, "probe() -> (isolation bits, namespace errno, landlock ABI)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef sandbox_module = {PyModuleDef_HEAD_INIT, "grpo_c._sandbox",
                                            "Sandboxed program runner and output comparators.",
                                            -1, sandbox_methods, NULL, NULL, NULL, NULL};

PyObject *binding_sandbox_module(void) {
    PyObject *m = PyModule_Create(&sandbox_module);
    if (!m) return NULL;
    static const struct { const char *name; long value; } constants[] = {
        {"EXITED", GRPO_SANDBOX_EXITED}, {"SIGNALED", GRPO_SANDBOX_SIGNALED},
        {"CPU_LIMIT", GRPO_SANDBOX_CPU_LIMIT}, {"WALL_LIMIT", GRPO_SANDBOX_WALL_LIMIT},
        {"MEMORY_LIMIT", GRPO_SANDBOX_MEMORY_LIMIT}, {"OUTPUT_LIMIT", GRPO_SANDBOX_OUTPUT_LIMIT},
        {"EXEC_FAILED", GRPO_SANDBOX_EXEC_FAILED}, {"ERROR", GRPO_SANDBOX_ERROR},
        {"ISO_USERNS", GRPO_SANDBOX_ISO_USERNS}, {"ISO_PIDNS", GRPO_SANDBOX_ISO_PIDNS},
        {"ISO_NETNS", GRPO_SANDBOX_ISO_NETNS}, {"ISO_LANDLOCK", GRPO_SANDBOX_ISO_LANDLOCK},
        {"ISO_SECCOMP", GRPO_SANDBOX_ISO_SECCOMP}, {"ISO_NOFORK", GRPO_SANDBOX_ISO_NOFORK},
        {"ISO_PGROUP", GRPO_SANDBOX_ISO_PGROUP}, {"ISO_LANDLOCK_NET", GRPO_SANDBOX_ISO_LANDLOCK_NET},
        {"ISO_LANDLOCK_SCOPE", GRPO_SANDBOX_ISO_LANDLOCK_SCOPE},
        {"ISO_TMPFS", GRPO_SANDBOX_ISO_TMPFS}, {"ISO_PIDS_CGROUP", GRPO_SANDBOX_ISO_PIDS_CGROUP},
        {"ISO_IPCNS", GRPO_SANDBOX_ISO_IPCNS}, {"ISO_ROOT_VIEW", GRPO_SANDBOX_ISO_ROOT_VIEW},
        {"ISO_MEMORY_CGROUP", GRPO_SANDBOX_ISO_MEMORY_CGROUP},
        {"ISO_UNPRIVILEGED", GRPO_SANDBOX_ISO_UNPRIVILEGED},
        {"UID_BASE", GRPO_SANDBOX_UID_BASE}, {"UID_COUNT", GRPO_SANDBOX_UID_COUNT},
        {"NS_AUTO", GRPO_SANDBOX_NS_AUTO}, {"NS_REQUIRE", GRPO_SANDBOX_NS_REQUIRE},
        {"NS_OFF", GRPO_SANDBOX_NS_OFF},
        {"END_EXIT", GRPO_SANDBOX_END_EXIT}, {"END_SIGNAL", GRPO_SANDBOX_END_SIGNAL},
        {"END_DEADLINE", GRPO_SANDBOX_END_DEADLINE}, {"END_OUTPUT", GRPO_SANDBOX_END_OUTPUT},
        {"COMPARE_EXACT", GRPO_COMPARE_EXACT}, {"COMPARE_LINES", GRPO_COMPARE_LINES},
        {"COMPARE_TOKENS", GRPO_COMPARE_TOKENS}, {"COMPARE_FLOAT", GRPO_COMPARE_FLOAT},
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++)
        if (PyModule_AddIntConstant(m, constants[i].name, constants[i].value) != 0) {
            Py_DECREF(m);
            return NULL;
        }
    return m;
}
