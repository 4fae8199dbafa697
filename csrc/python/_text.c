/*
 * _text.c - binding of the text rewards (csrc/text_rewards.c, csrc/lang.c) as grpo_c._text.
 *
 * Texts arrive as a sequence of str, bytes (raw UTF-8) or None. Their UTF-8 is taken while the GIL is held (the
 * str objects cache it, and a private tuple keeps them alive), then the core runs on the whole
 * batch with the GIL released. A str holding lone surrogates is encoded with "surrogatepass":
 * the core sees invalid UTF-8, which every scanner handles. None becomes a missing text (NaN).
 */
#include "binding.h"

typedef struct {
    grpo_str *items;
    Py_ssize_t n;
    PyObject *keep; /* list: the tuple of inputs and any re-encoded bytes */
} text_batch;

static void text_batch_free(text_batch *b) {
    PyMem_Free(b->items);
    Py_XDECREF(b->keep);
    b->items = NULL;
    b->keep = NULL;
}

/* One str -> UTF-8 view; returns -1 with an exception set. */
static int text_view(PyObject *item, PyObject *keep, grpo_str *out, const char *name,
                     Py_ssize_t i) {
    if (item == Py_None) {
        out->s = NULL;
        out->len = 0;
        return 0;
    }
    if (PyBytes_Check(item)) { /* raw UTF-8, possibly invalid: the scanners cope */
        out->s = PyBytes_AS_STRING(item);
        out->len = (size_t)PyBytes_GET_SIZE(item);
        return 0;
    }
    if (!PyUnicode_Check(item)) {
        PyErr_Format(PyExc_TypeError, "%s[%zd]: expected str, bytes or None, got %.100s", name, i,
                     Py_TYPE(item)->tp_name);
        return -1;
    }
    Py_ssize_t len = 0;
    const char *s = PyUnicode_AsUTF8AndSize(item, &len);
    if (s == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
        PyErr_Clear();
        PyObject *bytes = PyUnicode_AsEncodedString(item, "utf-8", "surrogatepass");
        if (bytes == NULL) return -1;
        int rc = PyList_Append(keep, bytes);
        Py_DECREF(bytes);
        if (rc != 0) return -1;
        s = PyBytes_AS_STRING(bytes);
        len = PyBytes_GET_SIZE(bytes);
    }
    out->s = s;
    out->len = (size_t)len;
    return 0;
}

static int text_batch_init(text_batch *b, PyObject *seq, const char *name) {
    b->items = NULL;
    b->n = 0;
    b->keep = NULL;
    if (PyUnicode_Check(seq) || PyBytes_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a sequence of str, got a single %.100s", name,
                     Py_TYPE(seq)->tp_name);
        return -1;
    }
    PyObject *tuple = PySequence_Tuple(seq);
    if (tuple == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected a sequence of str, got %.100s", name,
                     Py_TYPE(seq)->tp_name);
        return -1;
    }
    b->keep = PyList_New(0);
    if (b->keep == NULL || PyList_Append(b->keep, tuple) != 0) {
        Py_DECREF(tuple);
        goto fail;
    }
    Py_DECREF(tuple);
    b->n = PyTuple_GET_SIZE(tuple);
    b->items = PyMem_Calloc((size_t)(b->n ? b->n : 1), sizeof *b->items);
    if (b->items == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < b->n; i++)
        if (text_view(PyTuple_GET_ITEM(tuple, i), b->keep, &b->items[i], name, i) != 0) goto fail;
    return 0;
fail:
    text_batch_free(b);
    return -1;
}

/* An optional str argument as a grpo_str ({NULL, 0} for None). */
static int str_arg(PyObject *obj, grpo_str *out, const char *name) {
    out->s = NULL;
    out->len = 0;
    if (obj == NULL || obj == Py_None) return 0;
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s: expected str, got %.100s", name, Py_TYPE(obj)->tp_name);
        return -1;
    }
    Py_ssize_t len;
    out->s = PyUnicode_AsUTF8AndSize(obj, &len);
    if (out->s == NULL) return -1;
    out->len = (size_t)len;
    return 0;
}

static PyArrayObject *new_vector(Py_ssize_t n, int typenum) {
    npy_intp dims[1] = {n};
    return (PyArrayObject *)PyArray_SimpleNew(1, dims, typenum);
}

static int parse_tags(grpo_format_opts *o, PyObject *open, PyObject *close, PyObject *aopen,
                      PyObject *aclose) {
    if (str_arg(open, &o->think_open, "think_open") != 0) return -1;
    if (str_arg(close, &o->think_close, "think_close") != 0) return -1;
    if (str_arg(aopen, &o->answer_open, "answer_open") != 0) return -1;
    if (str_arg(aclose, &o->answer_close, "answer_close") != 0) return -1;
    return 0;
}

static PyObject *py_format_reward(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"texts", "mode", "prefilled", "think_open", "think_close",
                             "answer_open", "answer_close", "code_language", "languages",
                             "num_threads", NULL};
    PyObject *texts_obj, *open = NULL, *close = NULL, *aopen = NULL, *aclose = NULL;
    PyObject *lang_obj = NULL, *langs_obj = NULL, *threads_obj = NULL;
    int mode = 0, prefilled = 0, threads;
    text_batch texts = {0}, langs = {0};
    PyArrayObject *out = NULL;
    grpo_format_opts opts;
    memset(&opts, 0, sizeof opts);
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|ipOOOOOOO", kwlist, &texts_obj, &mode,
                                     &prefilled, &open, &close, &aopen, &aclose, &lang_obj,
                                     &langs_obj, &threads_obj))
        return NULL;
    opts.mode = mode;
    opts.think_prefilled = prefilled;
    if (parse_tags(&opts, open, close, aopen, aclose) != 0) goto fail;
    if (str_arg(lang_obj, &opts.code_language, "code_language") != 0) goto fail;
    if (binding_threads(threads_obj, &threads) != 0) goto fail;
    if (text_batch_init(&texts, texts_obj, "completions") != 0) goto fail;
    if (langs_obj != NULL && langs_obj != Py_None) {
        if (text_batch_init(&langs, langs_obj, "language") != 0) goto fail;
        if (langs.n != texts.n) {
            PyErr_Format(PyExc_ValueError,
                         "language: expected one entry per completion (%zd), got %zd", texts.n,
                         langs.n);
            goto fail;
        }
    }
    out = new_vector(texts.n, NPY_FLOAT32);
    if (out == NULL) goto fail;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_format_reward((float *)PyArray_DATA(out), texts.items, texts.n,
                            langs.items, &opts, threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "format reward");
        goto fail;
    }
    text_batch_free(&texts);
    text_batch_free(&langs);
    return (PyObject *)out;
fail:
    text_batch_free(&texts);
    text_batch_free(&langs);
    Py_XDECREF(out);
    return NULL;
}

static PyObject *py_tag_count(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"texts", "think_open", "think_close", "answer_open",
                             "answer_close", "num_threads", NULL};
    PyObject *texts_obj, *open = NULL, *close = NULL, *aopen = NULL, *aclose = NULL;
    PyObject *threads_obj = NULL;
    int threads;
    text_batch texts = {0};
    PyArrayObject *out = NULL;
    grpo_format_opts opts;
    memset(&opts, 0, sizeof opts);
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OOOOO", kwlist, &texts_obj, &open, &close,
                                     &aopen, &aclose, &threads_obj))
        return NULL;
    if (parse_tags(&opts, open, close, aopen, aclose) != 0) goto fail;
    if (binding_threads(threads_obj, &threads) != 0) goto fail;
    if (text_batch_init(&texts, texts_obj, "completions") != 0) goto fail;
    out = new_vector(texts.n, NPY_FLOAT32);
    if (out == NULL) goto fail;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_tag_count_reward((float *)PyArray_DATA(out), texts.items, texts.n, &opts, threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "tag count reward");
        goto fail;
    }
    text_batch_free(&texts);
    return (PyObject *)out;
fail:
    text_batch_free(&texts);
    Py_XDECREF(out);
    return NULL;
}

static PyObject *py_reasoning_steps(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"texts", "steps_for_full", "num_threads", NULL};
    PyObject *texts_obj, *threads_obj = NULL;
    double full = 3.0;
    int threads;
    text_batch texts = {0};
    PyArrayObject *out = NULL, *counts = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|dO", kwlist, &texts_obj, &full,
                                     &threads_obj))
        return NULL;
    if (binding_threads(threads_obj, &threads) != 0) goto fail;
    if (text_batch_init(&texts, texts_obj, "completions") != 0) goto fail;
    out = new_vector(texts.n, NPY_FLOAT32);
    counts = new_vector(texts.n, NPY_INT64);
    if (out == NULL || counts == NULL) goto fail;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_reasoning_steps_reward((float *)PyArray_DATA(out), (int64_t *)PyArray_DATA(counts),
                                     texts.items, texts.n, full, threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "reasoning steps reward (steps_for_full must be positive)");
        goto fail;
    }
    text_batch_free(&texts);
    return Py_BuildValue("(NN)", out, counts);
fail:
    text_batch_free(&texts);
    Py_XDECREF(out);
    Py_XDECREF(counts);
    return NULL;
}

static PyObject *py_repetition_words(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"texts", "ngram", "max_penalty", "fold_ascii_case", "num_threads",
                             NULL};
    PyObject *texts_obj, *threads_obj = NULL;
    long long ngram;
    double max_penalty;
    int threads, fold_case = 0;
    text_batch texts = {0};
    PyArrayObject *out = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLd|pO", kwlist, &texts_obj, &ngram,
                                     &max_penalty, &fold_case, &threads_obj))
        return NULL;
    if (binding_threads(threads_obj, &threads) != 0) goto fail;
    if (text_batch_init(&texts, texts_obj, "completions") != 0) goto fail;
    out = new_vector(texts.n, NPY_FLOAT32);
    if (out == NULL) goto fail;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_repetition_words((float *)PyArray_DATA(out), texts.items, texts.n, ngram,
                               max_penalty, fold_case, threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "repetition penalty");
        goto fail;
    }
    text_batch_free(&texts);
    return (PyObject *)out;
fail:
    text_batch_free(&texts);
    Py_XDECREF(out);
    return NULL;
}

static PyObject *py_repetition_ids(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"ids", "offsets", "ngram", "max_penalty", "num_threads", NULL};
    PyObject *ids_obj, *off_obj, *threads_obj = NULL;
    long long ngram;
    double max_penalty;
    int threads;
    PyArrayObject *ids = NULL, *offsets = NULL, *out = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOLd|O", kwlist, &ids_obj, &off_obj, &ngram,
                                     &max_penalty, &threads_obj))
        return NULL;
    if (binding_threads(threads_obj, &threads) != 0) goto fail;
    ids = binding_array(ids_obj, "completion_ids", NPY_INT64, "biu", 1, 1);
    if (ids == NULL) goto fail;
    offsets = binding_array(off_obj, "offsets", NPY_INT64, "iu", 1, 1);
    if (offsets == NULL) goto fail;
    npy_intp n = PyArray_DIM(offsets, 0) - 1;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "offsets: expected at least one entry");
        goto fail;
    }
    const int64_t *off = (const int64_t *)PyArray_DATA(offsets);
    if (off[n] > (int64_t)PyArray_DIM(ids, 0) || off[0] < 0) {
        PyErr_SetString(PyExc_ValueError, "offsets: out of the range of completion_ids");
        goto fail;
    }
    out = new_vector(n, NPY_FLOAT32);
    if (out == NULL) goto fail;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_repetition_ids((float *)PyArray_DATA(out), (const int64_t *)PyArray_DATA(ids), off,
                             n, ngram, max_penalty, threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "repetition penalty");
        goto fail;
    }
    Py_DECREF(ids);
    Py_DECREF(offsets);
    return (PyObject *)out;
fail:
    Py_XDECREF(ids);
    Py_XDECREF(offsets);
    Py_XDECREF(out);
    return NULL;
}

static PyObject *py_language_consistency(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"texts", "target_scripts", "region", "think_open", "think_close",
                             "continua_weight", "min_units", "threshold", "ignore_acronyms",
                             "one_letter_words", "num_threads", NULL};
    PyObject *texts_obj, *open = NULL, *close = NULL, *threads_obj = NULL;
    unsigned long scripts;
    int region = 0, acronyms = 0, threads;
    double weight = 1.0, min_units = 5.0, threshold = 0.0;
    text_batch texts = {0};
    PyArrayObject *out = NULL, *target = NULL, *other = NULL, *hist = NULL, *invalid = NULL;
    PyArrayObject *excluded = NULL;
    unsigned long long one_letter_words = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Ok|iOOdddpKO", kwlist, &texts_obj, &scripts,
                                     &region, &open, &close, &weight, &min_units, &threshold,
                                     &acronyms, &one_letter_words, &threads_obj))
        return NULL;
    grpo_lang_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.target_scripts = (uint32_t)scripts;
    opts.region = region;
    opts.continua_weight = weight;
    opts.min_units = min_units;
    opts.threshold = threshold;
    opts.ignore_acronyms = acronyms;
    opts.one_letter_words = (uint64_t)one_letter_words;
    if (str_arg(open, &opts.think_open, "think_open") != 0) goto fail;
    if (str_arg(close, &opts.think_close, "think_close") != 0) goto fail;
    if (binding_threads(threads_obj, &threads) != 0) goto fail;
    if (text_batch_init(&texts, texts_obj, "completions") != 0) goto fail;
    out = new_vector(texts.n, NPY_FLOAT32);
    target = new_vector(texts.n, NPY_FLOAT64);
    other = new_vector(texts.n, NPY_FLOAT64);
    invalid = new_vector(texts.n, NPY_INT64);
    excluded = new_vector(texts.n, NPY_INT64);
    npy_intp dims[2] = {texts.n, GRPO_SCRIPT_COUNT};
    hist = (PyArrayObject *)PyArray_SimpleNew(2, dims, NPY_INT64);
    if (!out || !target || !other || !invalid || !excluded || !hist) goto fail;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_language_consistency((float *)PyArray_DATA(out), (double *)PyArray_DATA(target),
                                   (double *)PyArray_DATA(other), (int64_t *)PyArray_DATA(hist),
                                   (int64_t *)PyArray_DATA(invalid),
                                   (int64_t *)PyArray_DATA(excluded), texts.items, texts.n, &opts,
                                   threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "language consistency");
        goto fail;
    }
    text_batch_free(&texts);
    return Py_BuildValue("(NNNNNN)", out, target, other, hist, invalid, excluded);
fail:
    text_batch_free(&texts);
    Py_XDECREF(out);
    Py_XDECREF(target);
    Py_XDECREF(other);
    Py_XDECREF(hist);
    Py_XDECREF(invalid);
    Py_XDECREF(excluded);
    return NULL;
}

static PyMethodDef text_methods[] = {
    {"format_reward", (PyCFunction)(void (*)(void))py_format_reward, METH_VARARGS | METH_KEYWORDS,
     "Format rewards (open-r1, TRL think, strict, code) of a batch of texts."},
    {"tag_count", (PyCFunction)(void (*)(void))py_tag_count, METH_VARARGS | METH_KEYWORDS,
     "open-r1 tag_count_reward of a batch of texts."},
    {"reasoning_steps", (PyCFunction)(void (*)(void))py_reasoning_steps,
     METH_VARARGS | METH_KEYWORDS, "open-r1 reasoning_steps_reward: (rewards, counts)."},
    {"repetition_words", (PyCFunction)(void (*)(void))py_repetition_words,
     METH_VARARGS | METH_KEYWORDS, "Word n-gram repetition penalty of a batch of texts."},
    {"repetition_ids", (PyCFunction)(void (*)(void))py_repetition_ids,
     METH_VARARGS | METH_KEYWORDS, "Token-id n-gram repetition penalty (flat ids + offsets)."},
    {"language_consistency", (PyCFunction)(void (*)(void))py_language_consistency,
     METH_VARARGS | METH_KEYWORDS,
     "Language consistency: (reward, target units, other units, script histogram, invalid,\n"
     "excluded bytes)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef text_module = {PyModuleDef_HEAD_INIT, "grpo_c._text",
                                         "Text rule rewards of grpo_c.", -1, text_methods,
                                         NULL, NULL, NULL, NULL};

PyObject *binding_text_module(void) {
    PyObject *m = PyModule_Create(&text_module);
    if (m == NULL) return NULL;
    if (PyModule_AddIntConstant(m, "SCRIPT_COUNT", GRPO_SCRIPT_COUNT) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
