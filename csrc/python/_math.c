/*
 * _math.c - binding of the math-answer reward as grpo_c._math.
 *
 * Strings cross as UTF-8 views of the caller's str objects (kept alive by the argument
 * sequences); str with lone surrogates is encoded with surrogatepass and bytes pass through, so
 * any input reaches the core. The GIL is released around the batch call.
 */
#include "binding.h"

/* A UTF-8 view of str/bytes `obj`. *keep receives a new reference to release (or NULL). */
static int utf8_view(PyObject *obj, const char *name, const char **s, size_t *len, PyObject **keep) {
    *keep = NULL;
    if (PyUnicode_Check(obj)) {
        Py_ssize_t n;
        const char *p = PyUnicode_AsUTF8AndSize(obj, &n);
        if (p) {
            *s = p;
            *len = (size_t)n;
            return 0;
        }
        PyErr_Clear();
        PyObject *b = PyUnicode_AsEncodedString(obj, "utf-8", "surrogatepass");
        if (!b) return -1;
        *keep = b;
        obj = b;
    }
    if (PyBytes_Check(obj)) {
        char *p;
        Py_ssize_t n;
        if (PyBytes_AsStringAndSize(obj, &p, &n) < 0) return -1;
        *s = p;
        *len = (size_t)n;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "%s: expected str or bytes, got %.100s", name,
                 Py_TYPE(obj)->tp_name);
    return -1;
}

static int read_options(grpo_math_options *o, int extract, int after_think, int strict_latex,
                        double tol) {
    if (extract < 0 || extract > 2) {
        PyErr_Format(PyExc_ValueError, "mode: expected 0, 1 or 2, got %d", extract);
        return -1;
    }
    if (!(tol > 0 && tol < 1)) {
        PyErr_Format(PyExc_ValueError, "float_rel_tol: expected a value in (0, 1), got %g", tol);
        return -1;
    }
    *o = grpo_math_default_options();
    o->extract = extract;
    o->after_think = after_think;
    o->strict_latex = strict_latex;
    o->float_rel_tol = tol;
    return 0;
}

static PyObject *py_accuracy(PyObject *self, PyObject *args) {
    PyObject *comp_obj, *gold_obj, *seq_c = NULL, *seq_g = NULL, *keeps = NULL, *result = NULL;
    PyArrayObject *out = NULL;
    const char **cs = NULL, **gs = NULL;
    size_t *cl = NULL, *gl = NULL;
    int extract, after_think, strict_latex, threads;
    double tol;
    if (!PyArg_ParseTuple(args, "OOiipdi", &comp_obj, &gold_obj, &extract, &after_think,
                          &strict_latex, &tol, &threads))
        return NULL;
    grpo_math_options opt;
    if (read_options(&opt, extract, after_think, strict_latex, tol) < 0) return NULL;
    if (threads < 1) threads = 1;
    seq_c = PySequence_Fast(comp_obj, "completions: expected a sequence");
    if (!seq_c) goto fail;
    seq_g = PySequence_Fast(gold_obj, "solutions: expected a sequence");
    if (!seq_g) goto fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq_c);
    if (PySequence_Fast_GET_SIZE(seq_g) != n) {
        PyErr_Format(PyExc_ValueError,
                     "solutions: expected one per completion (%zd), got %zd", n,
                     PySequence_Fast_GET_SIZE(seq_g));
        goto fail;
    }
    keeps = PyList_New(0);
    cs = PyMem_Calloc((size_t)n + 1, sizeof(char *));
    gs = PyMem_Calloc((size_t)n + 1, sizeof(char *));
    cl = PyMem_Calloc((size_t)n + 1, sizeof(size_t));
    gl = PyMem_Calloc((size_t)n + 1, sizeof(size_t));
    if (!keeps || !cs || !gs || !cl || !gl) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *keep;
        if (utf8_view(PySequence_Fast_GET_ITEM(seq_c, i), "completions", &cs[i], &cl[i], &keep) < 0)
            goto fail;
        if (keep) {
            int rc = PyList_Append(keeps, keep);
            Py_DECREF(keep);
            if (rc < 0) goto fail;
        }
        if (utf8_view(PySequence_Fast_GET_ITEM(seq_g, i), "solutions", &gs[i], &gl[i], &keep) < 0)
            goto fail;
        if (keep) {
            int rc = PyList_Append(keeps, keep);
            Py_DECREF(keep);
            if (rc < 0) goto fail;
        }
    }
    npy_intp dims[1] = {n};
    out = (PyArrayObject *)PyArray_SimpleNew(1, dims, NPY_FLOAT32);
    if (!out) goto fail;
    grpo_status st;
    float *data = (float *)PyArray_DATA(out);
    Py_BEGIN_ALLOW_THREADS
    st = grpo_math_accuracy(data, (int64_t)n, cs, cl, gs, gl, &opt, threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "accuracy");
        goto fail;
    }
    result = (PyObject *)out;
    out = NULL;
fail:
    Py_XDECREF(out);
    Py_XDECREF(seq_c);
    Py_XDECREF(seq_g);
    Py_XDECREF(keeps);
    PyMem_Free(cs);
    PyMem_Free(gs);
    PyMem_Free(cl);
    PyMem_Free(gl);
    return result;
}

static const char *kind_name(int kind) {
    switch (kind) {
    case GRPO_MATH_KIND_MATH: return "math";
    case GRPO_MATH_KIND_TEXT: return "text";
    case GRPO_MATH_KIND_CHOICE: return "choice";
    default: return "none";
    }
}

static const char *reason_name(int reason) {
    switch (reason) {
    case GRPO_MATH_OK: return NULL;
    case GRPO_MATH_NO_ANSWER: return "no_answer";
    case GRPO_MATH_TRUNCATED: return "truncated";
    case GRPO_MATH_EMPTY: return "empty";
    case GRPO_MATH_TOO_LONG: return "too_long";
    case GRPO_MATH_TOO_DEEP: return "too_deep";
    case GRPO_MATH_SYNTAX: return "syntax";
    case GRPO_MATH_NO_THINK_END: return "no_think_end";
    default: return "unknown";
    }
}

static const char *source_name(int source) {
    static const char *names[] = {"none", "boxed", "answer_tag", "anchor", "whole", "hashes"};
    return source >= 0 && source <= 5 ? names[source] : "none";
}

static PyObject *py_parse(PyObject *self, PyObject *args) {
    PyObject *text, *keep = NULL, *result = NULL;
    int is_gold, extract, after_think, strict_latex;
    const char *s;
    size_t len;
    if (!PyArg_ParseTuple(args, "Opiip", &text, &is_gold, &extract, &after_think, &strict_latex))
        return NULL;
    grpo_math_options opt;
    if (read_options(&opt, extract, after_think, strict_latex, 1e-6) < 0) return NULL;
    if (utf8_view(text, "text", &s, &len, &keep) < 0) return NULL;
    char normalized[4096];
    char *extracted = NULL;
    grpo_math_parsed parsed;
    grpo_status st;
    size_t extracted_cap = len + 1;
    extracted = PyMem_Malloc(extracted_cap);
    if (!extracted) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    st = grpo_math_parse(&parsed, extracted, extracted_cap, normalized, sizeof normalized, s, len,
                         is_gold, &opt);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "parse_answer");
        goto fail;
    }
    PyObject *extracted_obj = Py_None;
    Py_INCREF(Py_None);
    if (parsed.extracted_len || parsed.kind) {
        Py_DECREF(Py_None);
        extracted_obj = PyUnicode_DecodeUTF8(extracted, (Py_ssize_t)parsed.extracted_len, "replace");
        if (!extracted_obj) goto fail;
    }
    const char *reason = reason_name(parsed.reason);
    PyObject *answer = PyUnicode_DecodeUTF8(s + parsed.answer_begin,
                                            (Py_ssize_t)(parsed.answer_end - parsed.answer_begin),
                                            "replace");
    if (!answer) {
        Py_DECREF(extracted_obj);
        goto fail;
    }
    const char *norm = parsed.kind ? normalized : "";
    PyObject *norm_obj = PyUnicode_DecodeUTF8(norm, (Py_ssize_t)strlen(norm), "replace");
    if (!norm_obj) {
        Py_DECREF(extracted_obj);
        Py_DECREF(answer);
        goto fail;
    }
    result = Py_BuildValue("{s:N,s:N,s:s,s:s,s:N,s:z,s:n,s:n}", "answer", answer, "extracted",
                           extracted_obj, "kind",
                           kind_name(parsed.kind), "source", source_name(parsed.source),
                           "normalized", norm_obj, "reason", reason, "begin",
                           (Py_ssize_t)parsed.answer_begin, "end", (Py_ssize_t)parsed.answer_end);
fail:
    PyMem_Free(extracted);
    Py_XDECREF(keep);
    return result;
}

static PyObject *py_equal(PyObject *self, PyObject *args) {
    PyObject *gold, *pred, *kg = NULL, *kp = NULL, *result = NULL;
    int pred_is_completion, extract, after_think, strict_latex;
    double tol;
    const char *gs, *ps;
    size_t gl, pl;
    if (!PyArg_ParseTuple(args, "OOpiipd", &gold, &pred, &pred_is_completion, &extract,
                          &after_think, &strict_latex, &tol))
        return NULL;
    grpo_math_options opt;
    if (read_options(&opt, extract, after_think, strict_latex, tol) < 0) return NULL;
    if (utf8_view(gold, "gold", &gs, &gl, &kg) < 0) goto fail;
    if (utf8_view(pred, "pred", &ps, &pl, &kp) < 0) goto fail;
    int verdict = 0;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_math_equal(&verdict, gs, gl, ps, pl, pred_is_completion, &opt);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "answers_equal");
        goto fail;
    }
    result = PyLong_FromLong(verdict);
fail:
    Py_XDECREF(kg);
    Py_XDECREF(kp);
    return result;
}

static PyMethodDef math_methods[] = {
    {"accuracy", py_accuracy, METH_VARARGS,
     "accuracy(completions, solutions, extract, after_think, strict_latex, float_rel_tol, "
     "num_threads) -> float32 array (NaN where the gold cannot be parsed)."},
    {"parse", py_parse, METH_VARARGS,
     "parse(text, is_gold, extract, after_think, strict_latex) -> dict."},
    {"equal", py_equal, METH_VARARGS,
     "equal(gold, pred, pred_is_completion, extract, after_think, strict_latex, float_rel_tol) "
     "-> 1, 0, or -1 when the gold cannot be parsed."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef math_module = {PyModuleDef_HEAD_INIT, "grpo_c._math",
                                         "Math-answer accuracy reward of grpo_c.", -1,
                                         math_methods, NULL, NULL, NULL, NULL};

PyObject *binding_math_module(void) {
    return PyModule_Create(&math_module);
}
