/*
 * _core.c - binding of the numeric kernels (advantages, policy loss) as grpo_c._core.
 *
 * Arguments arrive already resolved by the Python layer (presets, option names, mask values);
 * here they are converted to contiguous native buffers, shape-checked against each other with
 * the argument named, and handed to the core with the GIL released.
 */
#include <math.h>

#define GRPO_BINDING_IMPORTS_ARRAY
#include "binding.h"

#include <stddef.h>

static PyObject *py_build_info(PyObject *self, PyObject *noargs) {
    PyObject *blas = Py_BuildValue("{s:s,s:s,s:s,s:i}", "name", grpo_blas_name(), "config", grpo_blas_config(),
                                   "core", grpo_blas_core(), "threads", grpo_blas_threads());
    if (!blas) return NULL;
    return Py_BuildValue("{s:s,s:s,s:s,s:N,s:s}", "compiler", GRPO_BUILD_CC " " __VERSION__,
                         "cflags", GRPO_BUILD_CFLAGS, "threading",
                         "pthreads, a persistent pool (per-call threads when it is busy), deterministic chunking", "blas", blas,
                         "numpy_build", NPY_FEATURE_VERSION_STRING);
}

static PyObject *py_blas_set_threads(PyObject *self, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    grpo_blas_set_threads((int)n);
    Py_RETURN_NONE;
}

/* Optional (None allowed) array argument. */
static int optional_array(PyObject *obj, const char *name, int typenum, const char *kinds,
                          int min_ndim, int max_ndim, PyArrayObject **out) {
    *out = NULL;
    if (obj == NULL || obj == Py_None) return 0;
    *out = binding_array(obj, name, typenum, kinds, min_ndim, max_ndim);
    return *out ? 0 : -1;
}

static int same_shape(PyArrayObject *a, PyArrayObject *ref, const char *name, const char *ref_name) {
    if (a == NULL) return 0;
    if (PyArray_NDIM(a) != PyArray_NDIM(ref) ||
        !PyArray_CompareLists(PyArray_DIMS(a), PyArray_DIMS(ref), PyArray_NDIM(ref))) {
        PyErr_Format(PyExc_ValueError, "%s: expected the shape of %s", name, ref_name);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ advantages */

static PyObject *names_tuple(const char *const *names) {
    Py_ssize_t n = 0;
    while (names[n]) n++;
    PyObject *t = PyTuple_New(n);
    for (Py_ssize_t k = 0; t && k < n; k++) {
        PyObject *s = PyUnicode_FromString(names[k]);
        if (!s) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, k, s);
    }
    return t;
}

/* grpo_adv_options_init's values by option name, and the names of each enum option's values
 * in the order of their codes (the codes group_advantages takes). */
static PyObject *py_advantage_defaults(PyObject *self, PyObject *noargs) {
    grpo_adv_options opt;
    grpo_adv_options_init(&opt);
    return Py_BuildValue("{s:s,s:s,s:s,s:s,s:d,s:i}", "estimator", grpo_adv_estimator_names[opt.estimator],
                         "scale", grpo_adv_scale_names[opt.scale], "std_mode", grpo_std_mode_names[opt.std_mode],
                         "singleton", grpo_singleton_names[opt.singleton], "eps", opt.eps, "ddof", opt.ddof);
}

static PyObject *py_advantage_option_names(PyObject *self, PyObject *noargs) {
    return Py_BuildValue("{s:N,s:N,s:N,s:N}", "estimator", names_tuple(grpo_adv_estimator_names),
                         "scale", names_tuple(grpo_adv_scale_names), "std_mode", names_tuple(grpo_std_mode_names),
                         "singleton", names_tuple(grpo_singleton_names));
}

/* Group index: None (contiguous blocks of group_size) or an int64 (N,) array, one id per reward.
 * The binding checks only what it lays out (the index's length); the core checks the values
 * (ids in [0, num_groups), group_size dividing N) and grpo_c.advantages words those errors. */
static int group_args(PyObject *index_obj, npy_intp n, PyArrayObject **index) {
    if (optional_array(index_obj, "group_ids", NPY_INT64, "iu", 1, 1, index) < 0) return -1;
    if (*index && PyArray_DIM(*index, 0) != n) {
        PyErr_Format(PyExc_ValueError, "group_ids: expected %zd entries (one per reward), got %zd",
                     (Py_ssize_t)n, (Py_ssize_t)PyArray_DIM(*index, 0));
        return -1;
    }
    return 0;
}

static PyObject *py_group_stats(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"rewards", "group_ids", "group_size", "num_groups", NULL};
    PyObject *rewards_obj, *index_obj = Py_None;
    Py_ssize_t group_size = 0, num_groups = 0;
    PyArrayObject *rewards = NULL, *index = NULL, *count = NULL, *sum = NULL, *m2 = NULL;
    PyObject *result = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOnn", kwlist, &rewards_obj, &index_obj,
                                     &group_size, &num_groups))
        return NULL;
    rewards = binding_array(rewards_obj, "rewards", NPY_FLOAT64, "biuf", 1, 1);
    if (!rewards) goto fail;
    npy_intp n = PyArray_DIM(rewards, 0);
    if (group_args(index_obj, n, &index) < 0) goto fail;
    npy_intp dims[1] = {num_groups};
    count = (PyArrayObject *)PyArray_SimpleNew(1, dims, NPY_INT64);
    sum = (PyArrayObject *)PyArray_SimpleNew(1, dims, NPY_FLOAT64);
    m2 = (PyArrayObject *)PyArray_SimpleNew(1, dims, NPY_FLOAT64);
    if (!count || !sum || !m2) goto fail;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_group_stats(PyArray_DATA(count), PyArray_DATA(sum), PyArray_DATA(m2),
                          PyArray_DATA(rewards), n, index ? PyArray_DATA(index) : NULL, group_size,
                          num_groups);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "group_stats");
        goto fail;
    }
    result = Py_BuildValue("(OOO)", count, sum, m2);
fail:
    Py_XDECREF(rewards);
    Py_XDECREF(index);
    Py_XDECREF(count);
    Py_XDECREF(sum);
    Py_XDECREF(m2);
    return result;
}

static PyObject *py_merge_group_stats(PyObject *self, PyObject *args) {
    PyObject *objs[6];
    static const char *names[6] = {"count_a", "sum_a", "m2_a", "count_b", "sum_b", "m2_b"};
    PyArrayObject *arr[6] = {NULL};
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOO", &objs[0], &objs[1], &objs[2], &objs[3], &objs[4], &objs[5]))
        return NULL;
    for (int k = 0; k < 6; k++) {
        int is_count = k % 3 == 0;
        /* the a-side is copied: the merge writes into it and the inputs stay untouched */
        PyArrayObject *a = binding_array(objs[k], names[k], is_count ? NPY_INT64 : NPY_FLOAT64,
                                         is_count ? "iu" : "biuf", 1, 1);
        if (!a) goto fail;
        if (k < 3) {
            arr[k] = (PyArrayObject *)PyArray_NewCopy(a, NPY_CORDER);
            Py_DECREF(a);
            if (!arr[k]) goto fail;
        } else {
            arr[k] = a;
        }
        if (same_shape(arr[k], arr[0], names[k], "count_a") < 0) goto fail;
    }
    grpo_merge_group_stats(PyArray_DATA(arr[0]), PyArray_DATA(arr[1]), PyArray_DATA(arr[2]),
                           PyArray_DATA(arr[3]), PyArray_DATA(arr[4]), PyArray_DATA(arr[5]),
                           PyArray_DIM(arr[0], 0));
    result = Py_BuildValue("(OOO)", arr[0], arr[1], arr[2]);
fail:
    for (int k = 0; k < 6; k++) Py_XDECREF(arr[k]);
    return result;
}

/* The common case straight from the caller's buffer: a float32 or float64 1-d array in
 * contiguous GRPO groups. Returns the advantages, NULL with an error set, or Py_None (new
 * reference) when the general path must handle the request. */
static PyObject *contiguous_advantages(PyObject *rewards_obj, Py_ssize_t group_size,
                                       Py_ssize_t num_groups, const grpo_adv_options *opt,
                                       int out_f32, int threads) {
    if (!PyArray_Check(rewards_obj)) Py_RETURN_NONE;
    PyArrayObject *r = (PyArrayObject *)rewards_obj;
    const int type = PyArray_TYPE(r);
    if ((type != NPY_FLOAT32 && type != NPY_FLOAT64) || PyArray_NDIM(r) != 1 ||
        !PyArray_IS_C_CONTIGUOUS(r) || !PyArray_ISALIGNED(r) || PyArray_ISBYTESWAPPED(r))
        Py_RETURN_NONE;
    const npy_intp n = PyArray_DIM(r, 0);
    PyArrayObject *adv = (PyArrayObject *)PyArray_SimpleNew(1, PyArray_DIMS(r), out_f32 ? NPY_FLOAT32 : NPY_FLOAT64);
    if (!adv) return NULL;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_group_advantages_contiguous(PyArray_DATA(adv), out_f32 ? GRPO_F32 : GRPO_F64,
                                          PyArray_DATA(r), type == NPY_FLOAT32 ? GRPO_F32 : GRPO_F64,
                                          n, group_size, opt, threads);
    Py_END_ALLOW_THREADS
    if (st == GRPO_OK) return (PyObject *)adv;
    Py_DECREF(adv);
    if (st == GRPO_ERR_UNSUPPORTED) Py_RETURN_NONE;
    binding_raise(st, "group_advantages");
    return NULL;
}

static PyObject *py_group_advantages(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"rewards", "group_ids", "group_size", "num_groups", "count", "sum",
                             "m2", "lengths", "estimator", "scale", "std_mode", "singleton",
                             "eps", "ddof", "out_f32", "num_threads", NULL};
    PyObject *rewards_obj, *index_obj, *count_obj, *sum_obj, *m2_obj, *lengths_obj;
    PyObject *threads_obj = Py_None;
    Py_ssize_t group_size, num_groups;
    grpo_adv_options opt = {0};
    int estimator, scale, std_mode, singleton, out_f32 = 0, threads;
    PyArrayObject *rewards = NULL, *index = NULL, *count = NULL, *sum = NULL, *m2 = NULL,
                  *lengths = NULL, *adv = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOnnOOOOiiiidi|pO", kwlist, &rewards_obj,
                                     &index_obj, &group_size, &num_groups, &count_obj, &sum_obj,
                                     &m2_obj, &lengths_obj, &estimator, &scale, &std_mode,
                                     &singleton, &opt.eps, &opt.ddof, &out_f32, &threads_obj))
        return NULL;
    if (binding_threads(threads_obj, &threads) < 0) return NULL;
    opt.estimator = estimator;
    opt.scale = scale;
    opt.std_mode = std_mode;
    opt.singleton = singleton;
    if (index_obj == Py_None && count_obj == Py_None && lengths_obj == Py_None) {
        PyObject *fast = contiguous_advantages(rewards_obj, group_size, num_groups, &opt, out_f32, threads);
        if (fast != Py_None) return fast;
        Py_DECREF(fast);
    }
    rewards = binding_array(rewards_obj, "rewards", NPY_FLOAT64, "biuf", 1, 1);
    if (!rewards) goto fail;
    npy_intp n = PyArray_DIM(rewards, 0);
    if (group_args(index_obj, n, &index) < 0) goto fail;
    /* statistics are optional: without them the core uses those of `rewards` */
    if (count_obj != Py_None || sum_obj != Py_None || m2_obj != Py_None) {
        count = binding_array(count_obj, "count", NPY_INT64, "iu", 1, 1);
        sum = count ? binding_array(sum_obj, "sum", NPY_FLOAT64, "biuf", 1, 1) : NULL;
        m2 = sum ? binding_array(m2_obj, "m2", NPY_FLOAT64, "biuf", 1, 1) : NULL;
        if (!count || !sum || !m2) goto fail;
        if (PyArray_DIM(count, 0) != num_groups || same_shape(sum, count, "sum", "count") < 0 ||
            same_shape(m2, count, "m2", "count") < 0) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_ValueError, "count: expected %zd groups", num_groups);
            goto fail;
        }
    }
    if (optional_array(lengths_obj, "lengths", NPY_FLOAT64, "biuf", 1, 1, &lengths) < 0) goto fail;
    if (lengths && same_shape(lengths, rewards, "lengths", "rewards") < 0) goto fail;
    adv = (PyArrayObject *)PyArray_SimpleNew(1, PyArray_DIMS(rewards), NPY_FLOAT64);
    if (!adv) goto fail;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_group_advantages(PyArray_DATA(adv), PyArray_DATA(rewards), n,
                               index ? PyArray_DATA(index) : NULL, group_size, num_groups,
                               count ? PyArray_DATA(count) : NULL, sum ? PyArray_DATA(sum) : NULL,
                               m2 ? PyArray_DATA(m2) : NULL, lengths ? PyArray_DATA(lengths) : NULL,
                               &opt);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "group_advantages");
        Py_CLEAR(adv);
    } else if (out_f32) {
        PyArrayObject *narrow = (PyArrayObject *)PyArray_Cast(adv, NPY_FLOAT32);
        Py_SETREF(adv, narrow);
    }
fail:
    Py_XDECREF(rewards);
    Py_XDECREF(index);
    Py_XDECREF(count);
    Py_XDECREF(sum);
    Py_XDECREF(m2);
    Py_XDECREF(lengths);
    return (PyObject *)adv;
}

static PyObject *py_whiten_tokens(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"advantages", "mask", "ddof", "eps", "eps_is_floor", NULL};
    PyObject *adv_obj, *mask_obj;
    int ddof, floor;
    double eps;
    PyArrayObject *adv = NULL, *mask = NULL, *out = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOidp", kwlist, &adv_obj, &mask_obj, &ddof,
                                     &eps, &floor))
        return NULL;
    adv = binding_array(adv_obj, "advantages", NPY_FLOAT64, "biuf", 1, 1);
    mask = adv ? binding_array(mask_obj, "mask", NPY_UINT8, "biuf", 2, 2) : NULL;
    if (!adv || !mask) goto fail;
    if (PyArray_DIM(mask, 0) != PyArray_DIM(adv, 0)) {
        PyErr_SetString(PyExc_ValueError, "mask: expected one row per reward");
        goto fail;
    }
    out = (PyArrayObject *)PyArray_SimpleNew(2, PyArray_DIMS(mask), NPY_FLOAT64);
    if (!out) goto fail;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_whiten_tokens(PyArray_DATA(out), PyArray_DATA(adv), PyArray_DATA(mask),
                            PyArray_DIM(mask, 0), PyArray_DIM(mask, 1), ddof, eps, floor);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "whiten_tokens");
        Py_CLEAR(out);
    }
fail:
    Py_XDECREF(adv);
    Py_XDECREF(mask);
    return (PyObject *)out;
}

/* ------------------------------------------------------------------ policy loss */

static PyObject *mask_of(PyObject *obj, const PyArray_Dims *shape, const char *name, int threads);

/* A 0/1 mask of the given shape as a C-contiguous uint8 array: bool arrays are viewed as they
 * are, the other dtypes are converted and checked by the core (grpo_mask_convert). */
static PyObject *py_mask(PyObject *self, PyObject *args) {
    PyObject *obj, *threads_obj;
    PyArray_Dims shape = {NULL, 0};
    const char *name;
    int threads;
    if (!PyArg_ParseTuple(args, "OO&sO:mask", &obj, PyArray_IntpConverter, &shape, &name, &threads_obj))
        return NULL;
    PyObject *result = binding_threads(threads_obj, &threads) < 0 ? NULL : mask_of(obj, &shape, name, threads);
    PyDimMem_FREE(shape.ptr);
    return result;
}

static PyObject *mask_of(PyObject *obj, const PyArray_Dims *shape, const char *name, int threads) {
    PyArrayObject *probe = (PyArrayObject *)PyArray_FROM_O(obj);
    PyArrayObject *values = NULL, *out = NULL;
    if (!probe) {
        PyErr_Clear();
        return PyErr_Format(PyExc_TypeError, "%s: expected an array-like mask, got %.100s", name,
                            Py_TYPE(obj)->tp_name);
    }
    if (!binding_kind_ok(PyArray_DESCR(probe), "biuf")) {
        PyObject *dtype = PyObject_Str((PyObject *)PyArray_DESCR(probe));
        PyErr_Format(PyExc_TypeError, "%s: expected a boolean, integer or float 0/1 mask, got dtype %s",
                     name, dtype ? PyUnicode_AsUTF8(dtype) : "?");
        Py_XDECREF(dtype);
        goto done;
    }
    if (PyArray_NDIM(probe) != shape->len || !PyArray_CompareLists(PyArray_DIMS(probe), shape->ptr, shape->len)) {
        PyObject *want = PyArray_IntTupleFromIntp(shape->len, shape->ptr);
        PyObject *got = PyArray_IntTupleFromIntp(PyArray_NDIM(probe), PyArray_DIMS(probe));
        if (want && got) PyErr_Format(PyExc_ValueError, "%s: expected shape %R, got %R", name, want, got);
        Py_XDECREF(want);
        Py_XDECREF(got);
        goto done;
    }
    int typenum = PyArray_TYPE(probe);
    if (typenum == NPY_BOOL && PyArray_IS_C_CONTIGUOUS(probe)) {
        out = (PyArrayObject *)PyArray_View(probe, PyArray_DescrFromType(NPY_UINT8), NULL);
        goto done;
    }
    /* read as they are: uint8 (and bool), int32 and int64 (torch's int/long masks), float32;
     * anything else through float64 */
    grpo_mask_dtype dtype = GRPO_MASK_F64;
    if (typenum == NPY_BOOL || typenum == NPY_UINT8) typenum = NPY_UINT8, dtype = GRPO_MASK_U8;
    else if (PyArray_ISSIGNED(probe) && PyArray_ITEMSIZE(probe) == 4) typenum = NPY_INT32, dtype = GRPO_MASK_I32;
    else if (PyArray_ISSIGNED(probe) && PyArray_ITEMSIZE(probe) == 8) typenum = NPY_INT64, dtype = GRPO_MASK_I64;
    else if (typenum == NPY_FLOAT32) dtype = GRPO_MASK_F32;
    else typenum = NPY_FLOAT64;
    values = (PyArrayObject *)PyArray_FROM_OTF((PyObject *)probe, typenum,
                                               NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
    if (!values) goto done;
    if (dtype == GRPO_MASK_U8) {
        out = values;
        Py_INCREF(out);
    } else {
        out = (PyArrayObject *)PyArray_SimpleNew(shape->len, shape->ptr, NPY_UINT8);
        if (!out) goto done;
    }
    int64_t bad = 0;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_mask_convert(dtype == GRPO_MASK_U8 ? NULL : PyArray_DATA(out), PyArray_DATA(values),
                           dtype, (int64_t)PyArray_SIZE(values), threads, &bad);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, name);
        Py_CLEAR(out);
    } else if (bad) {
        PyErr_Format(PyExc_ValueError, "%s: expected only 0 and 1 values", name);
        Py_CLEAR(out);
    }
done:
    Py_DECREF(probe);
    Py_XDECREF(values);
    return (PyObject *)out;
}

/* Metric names, created once: building them per call was a measurable share of a small call. */
static const char *const metric_names[] = {
    "loss", "policy_loss", "kl_loss", "tokens", "kl_mean", "clip_low", "clip_high", "clip_region",
    "clip_low_min", "clip_high_max", "clipfrac", "clipfrac_lower", "cispo_clip", "ppo_kl",
    "is_mean", "is_min", "is_max", "ratio_mean", "phi_mean"};
enum { METRIC_COUNT = sizeof metric_names / sizeof metric_names[0] };
static PyObject *metric_keys[METRIC_COUNT];

static PyObject *metrics_dict(const grpo_loss_metrics *m) {
    const double values[METRIC_COUNT] = {
        m->loss, m->policy_loss, m->kl_loss, m->tokens, m->kl_mean, m->clip_low, m->clip_high,
        m->clip_region, m->clip_low_min, m->clip_high_max, m->clipfrac, m->clipfrac_lower,
        m->cispo_clip, m->ppo_kl, m->is_mean, m->is_min, m->is_max, m->ratio_mean, m->phi_mean};
    PyObject *d = PyDict_New();
    for (int k = 0; d && k < METRIC_COUNT; k++) {
        PyObject *v = PyFloat_FromDouble(values[k]);
        if (!v || PyDict_SetItem(d, metric_keys[k], v) < 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

/* The loss options as Python sees them: one row per field of grpo_loss_options, under the
 * field's own name, with how its value is spelled in Python. Both directions (loss_defaults and
 * loss_options) read this table. */
typedef enum field_kind {
    FIELD_ENUM,        /* a name of `names`; "none" is spelled None */
    FIELD_NUMBER,      /* a float */
    FIELD_ZERO_OFF,    /* a float, or None for the field's 0 (off) */
    FIELD_INF_OFF,     /* a float, or None for INFINITY (off) */
    FIELD_NAN_OFF,     /* a float, or None for NaN (off) */
    FIELD_PAIR,        /* a 2-tuple of floats */
    FIELD_FLAG,        /* a bool */
    FIELD_DENOMINATOR  /* None, a number (D), or ("per_row", L): D = B * L */
} field_kind;

typedef struct loss_field {
    const char *name;
    field_kind kind;
    size_t offset;
    const char *const *names;
} loss_field;

_Static_assert(sizeof(grpo_surrogate) == sizeof(int), "option enums are read and written as int");

#define LOSS_FIELD(member, kind, names) {#member, kind, offsetof(grpo_loss_options, member), names}
static const loss_field loss_fields[] = {
    LOSS_FIELD(ratio_level, FIELD_ENUM, grpo_ratio_level_names),
    LOSS_FIELD(surrogate, FIELD_ENUM, grpo_surrogate_names),
    LOSS_FIELD(clip_low, FIELD_NUMBER, NULL),
    LOSS_FIELD(clip_high, FIELD_NUMBER, NULL),
    LOSS_FIELD(dual_clip, FIELD_ZERO_OFF, NULL),
    LOSS_FIELD(delta, FIELD_ZERO_OFF, NULL),
    LOSS_FIELD(log_ratio_clamp, FIELD_PAIR, NULL),
    LOSS_FIELD(cispo_bounds, FIELD_PAIR, NULL),
    LOSS_FIELD(dro_beta, FIELD_NUMBER, NULL),
    LOSS_FIELD(kl_cov_coef, FIELD_NUMBER, NULL),
    LOSS_FIELD(sapo_tau, FIELD_PAIR, NULL),
    LOSS_FIELD(vespo_k, FIELD_PAIR, NULL),
    LOSS_FIELD(vespo_lambda, FIELD_PAIR, NULL),
    LOSS_FIELD(is_level, FIELD_ENUM, grpo_is_level_names),
    LOSS_FIELD(is_mode, FIELD_ENUM, grpo_is_mode_names),
    LOSS_FIELD(is_bounds, FIELD_PAIR, NULL),
    LOSS_FIELD(is_log_clamp, FIELD_INF_OFF, NULL),
    LOSS_FIELD(off_policy_threshold, FIELD_NAN_OFF, NULL),
    LOSS_FIELD(kl_coef, FIELD_NUMBER, NULL),
    LOSS_FIELD(kl_estimator, FIELD_ENUM, grpo_kl_estimator_names),
    LOSS_FIELD(kl_straight_through, FIELD_FLAG, NULL),
    LOSS_FIELD(kl_ratio_weighted, FIELD_FLAG, NULL),
    LOSS_FIELD(kl_grad_is_cap, FIELD_ZERO_OFF, NULL),
    LOSS_FIELD(kl_log_clamp, FIELD_INF_OFF, NULL),
    LOSS_FIELD(kl_value_clamp, FIELD_INF_OFF, NULL),
    {"aggregation", FIELD_ENUM, offsetof(grpo_loss_options, aggregation.mode), grpo_agg_mode_names},
    {"denominator", FIELD_DENOMINATOR, offsetof(grpo_loss_options, aggregation), NULL},
    {"scale", FIELD_NUMBER, offsetof(grpo_loss_options, aggregation.scale), NULL},
    {"kl_aggregation", FIELD_ENUM, offsetof(grpo_loss_options, kl_aggregation.mode), grpo_agg_mode_names},
    {"kl_denominator", FIELD_DENOMINATOR, offsetof(grpo_loss_options, kl_aggregation), NULL},
    {"kl_scale", FIELD_NUMBER, offsetof(grpo_loss_options, kl_aggregation.scale), NULL},
    LOSS_FIELD(skip_ratio_metrics, FIELD_FLAG, NULL),
    LOSS_FIELD(ppo_kl_raw, FIELD_FLAG, NULL),
};
#undef LOSS_FIELD
enum { LOSS_FIELD_COUNT = sizeof loss_fields / sizeof loss_fields[0] };

static PyObject *field_value(const loss_field *f, const char *base) {
    const void *at = base + f->offset;
    const double x = f->kind == FIELD_ENUM || f->kind == FIELD_FLAG ? 0.0 : *(const double *)at;
    switch (f->kind) {
    case FIELD_ENUM: {
        int v = *(const int *)at;
        if (strcmp(f->names[v], "none") == 0) Py_RETURN_NONE;
        return PyUnicode_FromString(f->names[v]);
    }
    case FIELD_FLAG: return PyBool_FromLong(*(const int *)at);
    case FIELD_PAIR: return Py_BuildValue("(dd)", ((const double *)at)[0], ((const double *)at)[1]);
    case FIELD_ZERO_OFF: if (x == 0) Py_RETURN_NONE; break;
    case FIELD_INF_OFF: if (x == INFINITY) Py_RETURN_NONE; break;
    case FIELD_NAN_OFF: if (x != x) Py_RETURN_NONE; break;
    case FIELD_DENOMINATOR: {
        const grpo_aggregation *agg = at;
        if (agg->denominator > 0) return PyFloat_FromDouble(agg->denominator);
        if (agg->denominator_per_row > 0) return Py_BuildValue("(sd)", "per_row", agg->denominator_per_row);
        Py_RETURN_NONE;
    }
    case FIELD_NUMBER: break;
    }
    return PyFloat_FromDouble(x);
}

static int field_number(const loss_field *f, PyObject *obj, double *out) {
    if (PyBool_Check(obj) || !PyNumber_Check(obj) || (*out = PyFloat_AsDouble(obj), PyErr_Occurred())) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected a number, got %.100s", f->name, Py_TYPE(obj)->tp_name);
        return -1;
    }
    return 0;
}

static int set_field(const loss_field *f, char *base, PyObject *obj) {
    void *at = base + f->offset;
    double *x = at;
    switch (f->kind) {
    case FIELD_ENUM: {
        const char *name = obj == Py_None ? "none" : PyUnicode_Check(obj) ? PyUnicode_AsUTF8(obj) : NULL;
        for (int v = 0; name && f->names[v]; v++)
            if (strcmp(f->names[v], name) == 0) {
                *(int *)at = v;
                return 0;
            }
        PyErr_Clear();
        PyObject *allowed = PyUnicode_FromString("");
        for (int v = 0; allowed && f->names[v]; v++) {
            PyObject *item = strcmp(f->names[v], "none") == 0
                                 ? PyUnicode_FromString("None")
                                 : PyUnicode_FromFormat("'%s'", f->names[v]);
            PyObject *joined = item ? PyUnicode_FromFormat(v ? "%U, %U" : "%U%U", allowed, item) : NULL;
            Py_XDECREF(item);
            Py_SETREF(allowed, joined);
        }
        if (allowed) PyErr_Format(PyExc_ValueError, "%s: expected one of %U, got %R", f->name, allowed, obj);
        Py_XDECREF(allowed);
        return -1;
    }
    case FIELD_FLAG: {
        int v = PyObject_IsTrue(obj);
        if (v < 0) return -1;
        *(int *)at = v;
        return 0;
    }
    case FIELD_PAIR:
        if (!PyTuple_Check(obj) || PyTuple_GET_SIZE(obj) != 2) {
            PyErr_Format(PyExc_TypeError, "%s: expected a pair of numbers, got %R", f->name, obj);
            return -1;
        }
        return field_number(f, PyTuple_GET_ITEM(obj, 0), &x[0]) < 0 ? -1
                                                                      : field_number(f, PyTuple_GET_ITEM(obj, 1), &x[1]);
    case FIELD_DENOMINATOR: {
        grpo_aggregation *agg = at;
        agg->denominator = agg->denominator_per_row = 0.0;
        if (obj == Py_None) return 0;
        if (PyTuple_Check(obj) && PyTuple_GET_SIZE(obj) == 2 && PyUnicode_Check(PyTuple_GET_ITEM(obj, 0)) &&
            PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(obj, 0), "per_row") == 0)
            return field_number(f, PyTuple_GET_ITEM(obj, 1), &agg->denominator_per_row);
        return field_number(f, obj, &agg->denominator);
    }
    case FIELD_ZERO_OFF: if (obj == Py_None) return *x = 0.0, 0; break;
    case FIELD_INF_OFF: if (obj == Py_None) return *x = INFINITY, 0; break;
    case FIELD_NAN_OFF: if (obj == Py_None) return *x = NAN, 0; break;
    case FIELD_NUMBER: break;
    }
    return field_number(f, obj, x);
}

/* grpo_loss_options_init's values under the Python names: the neutral defaults. */
static PyObject *py_loss_defaults(PyObject *self, PyObject *noargs) {
    grpo_loss_options opt;
    grpo_loss_options_init(&opt);
    PyObject *d = PyDict_New();
    for (int k = 0; d && k < LOSS_FIELD_COUNT; k++) {
        PyObject *v = field_value(&loss_fields[k], (const char *)&opt);
        if (!v || PyDict_SetItemString(d, loss_fields[k].name, v) < 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

/* The options of the loss packed once into a grpo_loss_options (as bytes): a training loop
 * repeats the same options, and parsing ~30 keywords per call cost more than the kernel at
 * small sizes. Every option is keyword-only and defaults to grpo_loss_options_init's value. */
static PyObject *py_loss_options(PyObject *self, PyObject *args, PyObject *kwargs) {
    if (PyTuple_GET_SIZE(args)) {
        PyErr_SetString(PyExc_TypeError, "loss_options: options are keyword-only");
        return NULL;
    }
    grpo_loss_options opt;
    grpo_loss_options_init(&opt);
    Py_ssize_t used = 0;
    for (int k = 0; kwargs && k < LOSS_FIELD_COUNT; k++) {
        PyObject *v = PyDict_GetItemString(kwargs, loss_fields[k].name);
        if (!v) continue;
        used++;
        if (set_field(&loss_fields[k], (char *)&opt, v) < 0) return NULL;
    }
    if (kwargs && used != PyDict_GET_SIZE(kwargs)) {
        PyObject *key, *value;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kwargs, &pos, &key, &value)) {
            int known = 0;
            for (int k = 0; k < LOSS_FIELD_COUNT && !known; k++)
                known = PyUnicode_CompareWithASCIIString(key, loss_fields[k].name) == 0;
            if (!known) return PyErr_Format(PyExc_TypeError, "loss_options: unknown option %R", key);
        }
    }
    return PyBytes_FromStringAndSize((const char *)&opt, sizeof opt);
}

static PyObject *py_policy_loss(PyObject *self, PyObject *args) {
    PyObject *objs[9], *packed, *threads_obj;
    int want_per_token, plain;
    grpo_loss_options opt;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOpSOp:policy_loss", &objs[0], &objs[1], &objs[2],
                          &objs[3], &objs[4], &objs[5], &objs[6], &objs[7], &objs[8],
                          &want_per_token, &packed, &threads_obj, &plain))
        return NULL;
    if (PyBytes_GET_SIZE(packed) != (Py_ssize_t)sizeof opt) {
        PyErr_SetString(PyExc_ValueError, "options: expected the bytes of _core.loss_options");
        return NULL;
    }
    memcpy(&opt, PyBytes_AS_STRING(packed), sizeof opt);
    if (binding_threads(threads_obj, &opt.num_threads) < 0) return NULL;

    PyArrayObject *logp = NULL, *old = NULL, *ref = NULL, *rollout = NULL, *adv = NULL,
                  *mask = NULL, *isw = NULL, *pmask = NULL, *grad = NULL, *per_token = NULL;
    PyObject *result = NULL, *metrics = NULL;
    /* The dtype of the computation follows logp: float64 stays float64, anything else is float32. */
    PyArrayObject *probe = (PyArrayObject *)PyArray_FROM_O(objs[0]);
    if (!probe) goto fail;
    int typenum = PyArray_TYPE(probe) == NPY_FLOAT64 ? NPY_FLOAT64 : NPY_FLOAT32;
    if (!binding_kind_ok(PyArray_DESCR(probe), "f")) {
        PyErr_Format(PyExc_TypeError, "logp: expected a floating dtype (float16/32/64), got %s",
                     PyArray_DESCR(probe)->typeobj->tp_name);
        Py_DECREF(probe);
        goto fail;
    }
    Py_DECREF(probe);
    logp = binding_array(objs[0], "logp", typenum, "f", 2, 2);
    if (!logp) goto fail;
    if (optional_array(objs[1], "old_logp", typenum, "f", 2, 2, &old) < 0 ||
        same_shape(old, logp, "old_logp", "logp") < 0)
        goto fail;
    if (optional_array(objs[2], "ref_logp", typenum, "f", 2, 2, &ref) < 0 ||
        same_shape(ref, logp, "ref_logp", "logp") < 0)
        goto fail;
    if (optional_array(objs[3], "rollout_logp", typenum, "f", 2, 2, &rollout) < 0 ||
        same_shape(rollout, logp, "rollout_logp", "logp") < 0)
        goto fail;
    npy_intp b = PyArray_DIM(logp, 0), t = PyArray_DIM(logp, 1);
    adv = binding_array(objs[4], "advantages", typenum, "biuf", 1, 2);
    if (!adv) goto fail;
    int adv_per_token = PyArray_NDIM(adv) == 2;
    if (adv_per_token ? same_shape(adv, logp, "advantages", "logp") < 0 : PyArray_DIM(adv, 0) != b) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "advantages: expected shape (%zd,) or (%zd, %zd), got (%zd,)",
                         (Py_ssize_t)b, (Py_ssize_t)b, (Py_ssize_t)t, (Py_ssize_t)PyArray_DIM(adv, 0));
        goto fail;
    }
    if (objs[5] == Py_None) {   /* every token counts */
        mask = (PyArrayObject *)PyArray_SimpleNew(2, PyArray_DIMS(logp), NPY_UINT8);
        if (mask) memset(PyArray_DATA(mask), 1, (size_t)PyArray_NBYTES(mask));
    } else {
        PyArray_Dims shape = {PyArray_DIMS(logp), 2};
        mask = (PyArrayObject *)mask_of(objs[5], &shape, "mask", opt.num_threads);
    }
    if (!mask) goto fail;
    if (optional_array(objs[6], "is_weights", typenum, "biuf", 1, 2, &isw) < 0) goto fail;
    int isw_per_token = isw && PyArray_NDIM(isw) == 2;
    if (isw && (isw_per_token ? same_shape(isw, logp, "is_weights", "logp") < 0 : PyArray_DIM(isw, 0) != b)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "is_weights: expected shape (B,) or (B, T)");
        goto fail;
    }
    if (optional_array(objs[7], "policy_mask", NPY_UINT8, "bu", 2, 2, &pmask) < 0 ||
        same_shape(pmask, logp, "policy_mask", "logp") < 0)
        goto fail;
    if (objs[8] != Py_None) {
        if (!PyArray_Check(objs[8])) {
            PyErr_SetString(PyExc_TypeError, "grad_out: expected a NumPy array");
            goto fail;
        }
        grad = (PyArrayObject *)objs[8];
        if (binding_check_out(grad, "grad_out", typenum, 2, PyArray_DIMS(logp)) < 0) {
            grad = NULL;
            goto fail;
        }
        Py_INCREF(grad);
    } else {
        grad = (PyArrayObject *)PyArray_SimpleNew(2, PyArray_DIMS(logp), typenum);
        if (!grad) goto fail;
    }
    if (want_per_token) {
        per_token = (PyArrayObject *)PyArray_SimpleNew(2, PyArray_DIMS(logp), typenum);
        if (!per_token) goto fail;
    }

    grpo_loss_metrics m;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = (plain ? grpo_policy_loss_plain : grpo_policy_loss)(&m, PyArray_DATA(grad), per_token ? PyArray_DATA(per_token) : NULL,
                          typenum == NPY_FLOAT64 ? GRPO_F64 : GRPO_F32, PyArray_DATA(logp),
                          old ? PyArray_DATA(old) : NULL, ref ? PyArray_DATA(ref) : NULL,
                          rollout ? PyArray_DATA(rollout) : NULL, PyArray_DATA(adv), adv_per_token,
                          PyArray_DATA(mask), isw ? PyArray_DATA(isw) : NULL, isw_per_token,
                          pmask ? PyArray_DATA(pmask) : NULL, b, t, &opt);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "policy_loss");
        goto fail;
    }
    metrics = metrics_dict(&m);
    if (!metrics) goto fail;
    result = Py_BuildValue("(OOO)", metrics, grad, per_token ? (PyObject *)per_token : Py_None);
fail:
    Py_XDECREF(metrics);
    Py_XDECREF(logp);
    Py_XDECREF(old);
    Py_XDECREF(ref);
    Py_XDECREF(rollout);
    Py_XDECREF(adv);
    Py_XDECREF(mask);
    Py_XDECREF(isw);
    Py_XDECREF(pmask);
    Py_XDECREF(grad);
    Py_XDECREF(per_token);
    return result;
}

/* ------------------------------------------------------------------ log-probs from logits */

/* The (N, V) logits as given: float32, float64, or a 16-bit integer view of bfloat16 (bf16 = 1);
 * C-contiguous and aligned, never copied (the logits are the largest tensor of a step). */
static int logits_view(PyObject *obj, int bf16, PyArrayObject **out, grpo_logits_dtype *dtype) {
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "logits: expected a numpy array, got %.100s", Py_TYPE(obj)->tp_name);
        return -1;
    }
    PyArrayObject *arr = (PyArrayObject *)obj;
    int type = PyArray_TYPE(arr);
    if (bf16 ? (type != NPY_UINT16 && type != NPY_INT16) : (type != NPY_FLOAT32 && type != NPY_FLOAT64)) {
        PyErr_SetString(PyExc_TypeError, bf16 ? "logits: expected the 16-bit view of bfloat16 logits"
                                              : "logits: expected a float32 or float64 array");
        return -1;
    }
    if (PyArray_NDIM(arr) != 2) {
        PyErr_SetString(PyExc_ValueError, "logits: expected a 2-d (N, V) array");
        return -1;
    }
    if (!PyArray_IS_C_CONTIGUOUS(arr) || !PyArray_ISALIGNED(arr) || PyArray_ISBYTESWAPPED(arr)) {
        PyErr_SetString(PyExc_ValueError, "logits: expected a C-contiguous, aligned, native-endian array "
                                          "(the logits are read in place, never copied)");
        return -1;
    }
    *dtype = bf16 ? GRPO_LOGITS_BF16 : type == NPY_FLOAT64 ? GRPO_LOGITS_F64 : GRPO_LOGITS_F32;
    *out = arr;
    return 0;
}

static PyArrayObject *row_ids(PyObject *obj, npy_intp n) {
    PyArrayObject *ids = binding_array(obj, "ids", NPY_INT64, "iu", 1, 1);
    if (ids && PyArray_DIM(ids, 0) != n) {
        PyErr_Format(PyExc_ValueError, "ids: expected %zd ids, one per row of logits, got %zd", (Py_ssize_t)n,
                     (Py_ssize_t)PyArray_DIM(ids, 0));
        Py_CLEAR(ids);
    }
    return ids;
}

static PyObject *py_logprobs(PyObject *self, PyObject *args) {
    PyObject *logits_obj, *ids_obj, *threads_obj;
    double temperature;
    int want_entropy, bf16;
    if (!PyArg_ParseTuple(args, "OOdppO", &logits_obj, &ids_obj, &temperature, &want_entropy, &bf16, &threads_obj))
        return NULL;
    PyArrayObject *logits;
    grpo_logits_dtype dtype;
    int threads;
    if (logits_view(logits_obj, bf16, &logits, &dtype) < 0 || binding_threads(threads_obj, &threads) < 0)
        return NULL;
    npy_intp n = PyArray_DIM(logits, 0);
    PyArrayObject *ids = row_ids(ids_obj, n);
    if (!ids) return NULL;
    PyObject *result = NULL;
    npy_intp stats_shape[2] = {n, 3};
    PyArrayObject *logp = (PyArrayObject *)PyArray_SimpleNew(1, &n, NPY_FLOAT64);
    PyArrayObject *entropy = want_entropy ? (PyArrayObject *)PyArray_SimpleNew(1, &n, NPY_FLOAT64) : NULL;
    PyArrayObject *stats = (PyArrayObject *)PyArray_SimpleNew(2, stats_shape, NPY_FLOAT64);
    if (!logp || (want_entropy && !entropy) || !stats) goto done;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_logprobs(PyArray_DATA(logp), entropy ? PyArray_DATA(entropy) : NULL, PyArray_DATA(stats),
                       PyArray_DATA(logits), dtype, PyArray_DATA(ids), n, PyArray_DIM(logits, 1), temperature,
                       threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "logprobs");
        goto done;
    }
    result = Py_BuildValue("OOO", logp, entropy ? (PyObject *)entropy : Py_None, stats);
done:
    Py_XDECREF(ids);
    Py_XDECREF(logp);
    Py_XDECREF(entropy);
    Py_XDECREF(stats);
    return result;
}

/* The per-row inputs of the backward: float64 (N,) arrays, or None. */
static int row_values(PyObject *obj, const char *name, npy_intp n, PyArrayObject **out) {
    *out = NULL;
    if (obj == Py_None) return 0;
    *out = binding_array(obj, name, NPY_FLOAT64, "iuf", 1, 1);
    if (*out && PyArray_DIM(*out, 0) != n) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd values, one per row of logits", name, (Py_ssize_t)n);
        Py_CLEAR(*out);
    }
    return *out ? 0 : -1;
}

static PyObject *py_logprobs_backward(PyObject *self, PyObject *args) {
    PyObject *out_obj, *logits_obj, *ids_obj, *dlogp_obj, *dentropy_obj, *stats_obj, *threads_obj;
    double temperature;
    int bf16;
    if (!PyArg_ParseTuple(args, "OOOOOOdpO", &out_obj, &logits_obj, &ids_obj, &dlogp_obj, &dentropy_obj,
                          &stats_obj, &temperature, &bf16, &threads_obj))
        return NULL;
    PyArrayObject *logits, *out;
    grpo_logits_dtype dtype, out_dtype;
    int threads;
    if (logits_view(logits_obj, bf16, &logits, &dtype) < 0 || logits_view(out_obj, bf16, &out, &out_dtype) < 0 ||
        binding_threads(threads_obj, &threads) < 0)
        return NULL;
    if (out_dtype != dtype || binding_check_out(out, "out", PyArray_TYPE(out), 2, PyArray_DIMS(logits)) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "out: expected the logits' dtype");
        return NULL;
    }
    npy_intp n = PyArray_DIM(logits, 0);
    PyArrayObject *ids = row_ids(ids_obj, n), *dlogp = NULL, *dentropy = NULL, *stats = NULL;
    PyObject *result = NULL;
    if (!ids || row_values(dlogp_obj, "dlogp", n, &dlogp) < 0 || row_values(dentropy_obj, "dentropy", n, &dentropy) < 0)
        goto done;
    stats = binding_array(stats_obj, "row_stats", NPY_FLOAT64, "f", 2, 2);
    if (!stats) goto done;
    if (PyArray_DIM(stats, 0) != n || PyArray_DIM(stats, 1) != 3) {
        PyErr_SetString(PyExc_ValueError, "row_stats: expected the forward's (N, 3) row statistics");
        goto done;
    }
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_logprobs_backward(PyArray_DATA(out), PyArray_DATA(logits), dtype, PyArray_DATA(ids),
                                dlogp ? PyArray_DATA(dlogp) : NULL, dentropy ? PyArray_DATA(dentropy) : NULL,
                                PyArray_DATA(stats), n, PyArray_DIM(logits, 1), temperature, threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "logprobs_backward");
        goto done;
    }
    result = Py_NewRef(out_obj);
done:
    Py_XDECREF(ids);
    Py_XDECREF(dlogp);
    Py_XDECREF(dentropy);
    Py_XDECREF(stats);
    return result;
}

/* A float32 C-contiguous array of ndim dimensions, used in place. */
static PyArrayObject *float32_in_place(PyObject *obj, const char *name, int ndim) {
    if (!PyArray_Check(obj) || PyArray_TYPE((PyArrayObject *)obj) != NPY_FLOAT32) {
        PyErr_Format(PyExc_TypeError, "%s: expected a float32 array", name);
        return NULL;
    }
    PyArrayObject *arr = (PyArrayObject *)obj;
    if (PyArray_NDIM(arr) != ndim) {
        PyErr_Format(PyExc_ValueError, "%s: expected a %d-d array", name, ndim);
        return NULL;
    }
    if (!PyArray_IS_C_CONTIGUOUS(arr) || !PyArray_ISALIGNED(arr) || PyArray_ISBYTESWAPPED(arr)) {
        PyErr_Format(PyExc_ValueError, "%s: expected a C-contiguous, aligned, native-endian array", name);
        return NULL;
    }
    return arr;
}

/* The linear head's operands: hidden (N, H), weight (V, H), bias (V,) or None, and scratch for
 * chunk rows of logits. */
typedef struct {
    PyArrayObject *hidden, *weight, *bias;
    npy_intp n, h, v;
    long chunk;
    float *scratch;
} head_args;

static int head_parse(head_args *a, PyObject *hidden, PyObject *weight, PyObject *bias, long chunk) {
    memset(a, 0, sizeof(*a));
    if (!(a->hidden = float32_in_place(hidden, "hidden", 2)) || !(a->weight = float32_in_place(weight, "weight", 2)))
        return -1;
    a->n = PyArray_DIM(a->hidden, 0);
    a->h = PyArray_DIM(a->hidden, 1);
    a->v = PyArray_DIM(a->weight, 0);
    if (PyArray_DIM(a->weight, 1) != a->h) {
        PyErr_Format(PyExc_ValueError, "weight: expected (V, %zd) to match hidden's H = %zd, got (%zd, %zd)",
                     (Py_ssize_t)a->h, (Py_ssize_t)a->h, (Py_ssize_t)a->v, (Py_ssize_t)PyArray_DIM(a->weight, 1));
        return -1;
    }
    if (bias != Py_None) {
        if (!(a->bias = float32_in_place(bias, "bias", 1))) return -1;
        if (PyArray_DIM(a->bias, 0) != a->v) {
            PyErr_Format(PyExc_ValueError, "bias: expected %zd values, one per row of weight", (Py_ssize_t)a->v);
            return -1;
        }
    }
    if (chunk < 1) {
        PyErr_Format(PyExc_ValueError, "chunk_size: expected a positive number of tokens, got %ld", chunk);
        return -1;
    }
    a->chunk = chunk;
    a->scratch = PyMem_RawMalloc(sizeof(float) * (size_t)(chunk < a->n ? chunk : (a->n ? a->n : 1)) * (size_t)a->v);
    if (!a->scratch) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static PyObject *py_linear_logprobs(PyObject *self, PyObject *args) {
    PyObject *hidden_obj, *weight_obj, *bias_obj, *ids_obj, *threads_obj;
    double temperature;
    int want_entropy;
    long chunk;
    if (!PyArg_ParseTuple(args, "OOOOdplO", &hidden_obj, &weight_obj, &bias_obj, &ids_obj, &temperature,
                          &want_entropy, &chunk, &threads_obj))
        return NULL;
    head_args a;
    int threads;
    if (binding_threads(threads_obj, &threads) < 0 || head_parse(&a, hidden_obj, weight_obj, bias_obj, chunk) < 0) {
        PyMem_RawFree(a.scratch);
        return NULL;
    }
    PyArrayObject *ids = row_ids(ids_obj, a.n), *logp = NULL, *entropy = NULL, *stats = NULL;
    PyObject *result = NULL;
    npy_intp stats_shape[2] = {a.n, 3};
    if (!ids || !(logp = (PyArrayObject *)PyArray_SimpleNew(1, &a.n, NPY_FLOAT64)) ||
        (want_entropy && !(entropy = (PyArrayObject *)PyArray_SimpleNew(1, &a.n, NPY_FLOAT64))) ||
        !(stats = (PyArrayObject *)PyArray_SimpleNew(2, stats_shape, NPY_FLOAT64)))
        goto done;
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    grpo_blas_set_threads(threads);
    st = grpo_linear_logprobs(PyArray_DATA(logp), entropy ? PyArray_DATA(entropy) : NULL, PyArray_DATA(stats),
                              PyArray_DATA(a.hidden), PyArray_DATA(a.weight), a.bias ? PyArray_DATA(a.bias) : NULL,
                              PyArray_DATA(ids), a.n, a.h, a.v, temperature, a.chunk, a.scratch, threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "linear_logprobs");
        goto done;
    }
    result = Py_BuildValue("OOO", logp, entropy ? (PyObject *)entropy : Py_None, stats);
done:
    PyMem_RawFree(a.scratch);
    Py_XDECREF(ids);
    Py_XDECREF(logp);
    Py_XDECREF(entropy);
    Py_XDECREF(stats);
    return result;
}

static PyObject *py_linear_logprobs_backward(PyObject *self, PyObject *args) {
    PyObject *dh_obj, *dw_obj, *db_obj, *hidden_obj, *weight_obj, *bias_obj, *ids_obj, *dlogp_obj, *dent_obj,
        *stats_obj, *threads_obj;
    double temperature;
    long chunk;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOdlO", &dh_obj, &dw_obj, &db_obj, &hidden_obj, &weight_obj, &bias_obj,
                          &ids_obj, &dlogp_obj, &dent_obj, &stats_obj, &temperature, &chunk, &threads_obj))
        return NULL;
    head_args a;
    int threads;
    if (binding_threads(threads_obj, &threads) < 0 || head_parse(&a, hidden_obj, weight_obj, bias_obj, chunk) < 0) {
        PyMem_RawFree(a.scratch);
        return NULL;
    }
    PyArrayObject *dh = float32_in_place(dh_obj, "dhidden", 2), *dw = dh ? float32_in_place(dw_obj, "dweight", 2) : NULL;
    PyArrayObject *db = db_obj == Py_None || !dw ? NULL : float32_in_place(db_obj, "dbias", 1);
    PyArrayObject *ids = NULL, *dlogp = NULL, *dent = NULL, *stats = NULL;
    PyObject *result = NULL;
    if (!dh || !dw || (db_obj != Py_None && !db)) goto done;
    if (binding_check_out(dh, "dhidden", NPY_FLOAT32, 2, PyArray_DIMS(a.hidden)) < 0 ||
        binding_check_out(dw, "dweight", NPY_FLOAT32, 2, PyArray_DIMS(a.weight)) < 0 ||
        (db && binding_check_out(db, "dbias", NPY_FLOAT32, 1, &a.v) < 0))
        goto done;
    if (!(ids = row_ids(ids_obj, a.n)) || row_values(dlogp_obj, "dlogp", a.n, &dlogp) < 0 ||
        row_values(dent_obj, "dentropy", a.n, &dent) < 0 ||
        !(stats = binding_array(stats_obj, "row_stats", NPY_FLOAT64, "f", 2, 2)))
        goto done;
    if (PyArray_DIM(stats, 0) != a.n || PyArray_DIM(stats, 1) != 3) {
        PyErr_SetString(PyExc_ValueError, "row_stats: expected the forward's (N, 3) row statistics");
        goto done;
    }
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    grpo_blas_set_threads(threads);
    st = grpo_linear_logprobs_backward(PyArray_DATA(dh), PyArray_DATA(dw), db ? PyArray_DATA(db) : NULL,
                                       PyArray_DATA(a.hidden), PyArray_DATA(a.weight),
                                       a.bias ? PyArray_DATA(a.bias) : NULL, PyArray_DATA(ids),
                                       dlogp ? PyArray_DATA(dlogp) : NULL, dent ? PyArray_DATA(dent) : NULL,
                                       PyArray_DATA(stats), a.n, a.h, a.v, temperature, a.chunk, a.scratch, threads);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, "linear_logprobs_backward");
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_RawFree(a.scratch);
    Py_XDECREF(ids);
    Py_XDECREF(dlogp);
    Py_XDECREF(dent);
    Py_XDECREF(stats);
    return result;
}

static PyMethodDef core_methods[] = {
    {"build_info", py_build_info, METH_NOARGS, "Compiler, flags, threading and BLAS of this build."},
    {"blas_set_threads", py_blas_set_threads, METH_O, "Set the linked OpenBLAS's thread count."},
    {"group_stats", (PyCFunction)(void (*)(void))py_group_stats, METH_VARARGS | METH_KEYWORDS,
     "Per-group (count, sum, M2) of the scorable rewards."},
    {"merge_group_stats", py_merge_group_stats, METH_VARARGS, "Merge two shards' group statistics."},
    {"group_advantages", (PyCFunction)(void (*)(void))py_group_advantages,
     METH_VARARGS | METH_KEYWORDS, "Advantages against given group statistics."},
    {"whiten_tokens", (PyCFunction)(void (*)(void))py_whiten_tokens, METH_VARARGS | METH_KEYWORDS,
     "Masked token whitening of per-row advantages."},
    {"advantage_defaults", py_advantage_defaults, METH_NOARGS,
     "The neutral advantage options' defaults (grpo_adv_options_init) by name."},
    {"advantage_option_names", py_advantage_option_names, METH_NOARGS,
     "The names of each enum advantage option's values, in code order."},
    {"loss_defaults", py_loss_defaults, METH_NOARGS,
     "The neutral loss options' defaults (grpo_loss_options_init) by name."},
    {"loss_options", (PyCFunction)(void (*)(void))py_loss_options, METH_VARARGS | METH_KEYWORDS,
     "The loss options packed for policy_loss."},
    {"mask", py_mask, METH_VARARGS, "A 0/1 mask of shape (B, T) as a C-contiguous uint8 array."},
    {"policy_loss", (PyCFunction)(void (*)(void))py_policy_loss, METH_VARARGS,
     "Policy loss, gradient and metrics (positional; options from loss_options)."},
    {"logprobs", py_logprobs, METH_VARARGS,
     "(logp, entropy or None, row_stats) of (N, V) logits at ids (positional)."},
    {"linear_logprobs", py_linear_logprobs, METH_VARARGS,
     "(logp, entropy or None, row_stats) of hidden x weight^T (+ bias) at ids, in chunks (positional)."},
    {"linear_logprobs_backward", py_linear_logprobs_backward, METH_VARARGS,
     "dhidden (written), dweight and dbias (accumulated) of linear_logprobs (positional)."},
    {"logprobs_backward", py_logprobs_backward, METH_VARARGS,
     "dlogits into out from dlogp / dentropy and the forward's row_stats (positional)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {PyModuleDef_HEAD_INIT, "grpo_c._core",
                                         "Numeric kernels of grpo_c.", -1, core_methods,
                                         NULL, NULL, NULL, NULL};

PyObject *binding_errors[BINDING_ERROR_KINDS];

/* grpo_c.GRPOError and one subclass per built-in kind, added to `core`. */
static int add_error_types(PyObject *core) {
    PyObject *base = PyErr_NewExceptionWithDoc(
        "grpo_c.GRPOError", "A failure reported by the grpo_c core (its status name in the message).",
        PyExc_Exception, NULL);
    if (base == NULL || PyModule_AddObjectRef(core, "GRPOError", base) != 0) {
        Py_XDECREF(base);
        return -1;
    }
    static const char *names[BINDING_ERROR_KINDS] = {"GRPOValueError", "GRPOMemoryError",
                                                     "GRPOOSError", "GRPORuntimeError"};
    PyObject *builtins[BINDING_ERROR_KINDS] = {PyExc_ValueError, PyExc_MemoryError, PyExc_OSError,
                                              PyExc_RuntimeError};
    int failed = 0;
    for (int k = 0; k < BINDING_ERROR_KINDS && !failed; k++) {
        char qualified[64];
        snprintf(qualified, sizeof qualified, "grpo_c.%s", names[k]);
        PyObject *bases = PyTuple_Pack(2, base, builtins[k]);
        binding_errors[k] = bases ? PyErr_NewException(qualified, bases, NULL) : NULL;
        Py_XDECREF(bases);
        failed = binding_errors[k] == NULL ||
                 PyModule_AddObjectRef(core, names[k], binding_errors[k]) != 0;
    }
    Py_DECREF(base);
    return failed ? -1 : 0;
}

PyMODINIT_FUNC PyInit__core(void) {
    import_array();
    for (int k = 0; k < METRIC_COUNT; k++)
        if (!metric_keys[k] && !(metric_keys[k] = PyUnicode_InternFromString(metric_names[k])))
            return NULL;
    PyObject *core = PyModule_Create(&core_module);
    if (core == NULL) return NULL;
    if (add_error_types(core) != 0) {
        Py_DECREF(core);
        return NULL;
    }
    static const struct { const char *attribute, *name; PyObject *(*make)(void); } topics[] = {
        {"_math", "grpo_c._math", binding_math_module},
        {"_text", "grpo_c._text", binding_text_module},
        {"_sandbox", "grpo_c._sandbox", binding_sandbox_module},
    };
    PyObject *modules = PyImport_GetModuleDict();
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        PyObject *topic = topics[i].make();
        int failed = topic == NULL || PyDict_SetItemString(modules, topics[i].name, topic) != 0 ||
                     PyModule_AddObjectRef(core, topics[i].attribute, topic) != 0;
        Py_XDECREF(topic);
        if (failed) {
            Py_DECREF(core);
            return NULL;
        }
    }
    return core;
}
