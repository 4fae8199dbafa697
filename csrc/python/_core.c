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

#include <stdatomic.h>

static PyObject *py_build_info(PyObject *self, PyObject *noargs) {
    return Py_BuildValue("{s:s,s:s,s:s,s:s,s:s}", "compiler", GRPO_BUILD_CC " " __VERSION__,
                         "cflags", GRPO_BUILD_CFLAGS, "threading",
                         "pthreads, a persistent pool (per-call threads when it is busy), deterministic chunking", "blas", "none",
                         "numpy_build", NPY_FEATURE_VERSION_STRING);
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

/* Group index: None (contiguous blocks of group_size) or an int64 (N,) array of ids in [0, G). */
static int group_args(PyObject *index_obj, npy_intp n, Py_ssize_t group_size, Py_ssize_t num_groups,
                      PyArrayObject **index) {
    if (optional_array(index_obj, "group_ids", NPY_INT64, "iu", 1, 1, index) < 0) return -1;
    if (*index && PyArray_DIM(*index, 0) != n) {
        PyErr_Format(PyExc_ValueError, "group_ids: expected %zd entries (one per reward), got %zd",
                     (Py_ssize_t)n, (Py_ssize_t)PyArray_DIM(*index, 0));
        return -1;
    }
    if (*index == NULL && (group_size < 1 || n % group_size != 0 || n / group_size != num_groups)) {
        PyErr_Format(PyExc_ValueError, "group_size: %zd does not divide the %zd rewards", group_size,
                     (Py_ssize_t)n);
        return -1;
    }
    if (*index) {
        const int64_t *ids = PyArray_DATA(*index);
        for (npy_intp i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= num_groups) {
                PyErr_Format(PyExc_ValueError, "group_ids: index %zd is outside [0, %zd)",
                             (Py_ssize_t)ids[i], num_groups);
                return -1;
            }
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
    if (group_args(index_obj, n, group_size, num_groups, &index) < 0) goto fail;
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
    PyArrayObject *index = NULL;
    if (group_args(Py_None, n, group_size, num_groups, &index) < 0) return NULL;
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
    if (group_args(index_obj, n, group_size, num_groups, &index) < 0) goto fail;
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
    static char *kwlist[] = {"advantages", "mask", "ddof", "eps", "eps_is_floor", "count_eps", NULL};
    PyObject *adv_obj, *mask_obj;
    int ddof, floor;
    double eps, count_eps;
    PyArrayObject *adv = NULL, *mask = NULL, *out = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOidpd", kwlist, &adv_obj, &mask_obj, &ddof,
                                     &eps, &floor, &count_eps))
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
                            PyArray_DIM(mask, 0), PyArray_DIM(mask, 1), ddof, eps, floor, count_eps);
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

typedef struct mask_job {
    const void *values;
    uint8_t *out; /* NULL: check only (the values are uint8 already) */
    int typenum;
    atomic_llong bad;
} mask_job;

/* branch-free loops, so they vectorise */
static void mask_range(void *ctx, int64_t begin, int64_t end, int worker) {
    mask_job *job = ctx;
    long long bad = 0;
    uint8_t *restrict out = job->out;
    if (job->typenum == NPY_UINT8) {
        const uint8_t *restrict v = job->values;
#pragma omp simd reduction(+ : bad)
        for (int64_t i = begin; i < end; i++) bad += v[i] > 1;
    } else if (job->typenum == NPY_FLOAT32) {
        const float *restrict v = job->values;
#pragma omp simd reduction(+ : bad)
        for (int64_t i = begin; i < end; i++) {
            out[i] = v[i] == 1.0f;
            bad += (v[i] != 0.0f) & (v[i] != 1.0f);
        }
    } else if (job->typenum == NPY_INT32) {
        const int32_t *restrict v = job->values;
#pragma omp simd reduction(+ : bad)
        for (int64_t i = begin; i < end; i++) {
            out[i] = v[i] == 1;
            bad += (v[i] != 0) & (v[i] != 1);
        }
    } else if (job->typenum == NPY_INT64) {
        const int64_t *restrict v = job->values;
#pragma omp simd reduction(+ : bad)
        for (int64_t i = begin; i < end; i++) {
            out[i] = v[i] == 1;
            bad += (v[i] != 0) & (v[i] != 1);
        }
    } else {
        const double *restrict v = job->values;
#pragma omp simd reduction(+ : bad)
        for (int64_t i = begin; i < end; i++) {
            out[i] = v[i] == 1.0;
            bad += (v[i] != 0.0) & (v[i] != 1.0);
        }
    }
    atomic_fetch_add(&job->bad, bad);
}

/* A 0/1 mask of the shape of `like` as uint8. bool arrays are used as they are (viewed as
 * uint8), uint8 ones after a check; int32, int64, float32 (and, through float64, anything else)
 * are converted and checked in one pass on `threads` threads rather than in several NumPy
 * passes. */
static PyArrayObject *mask_array(PyObject *obj, const char *name, PyArrayObject *like, int threads) {
    PyArrayObject *probe = (PyArrayObject *)PyArray_FROM_O(obj);
    PyArrayObject *values = NULL, *out = NULL;
    if (!probe) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected an array-like mask, got %.100s", name,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    if (!binding_kind_ok(PyArray_DESCR(probe), "biuf")) {
        PyErr_Format(PyExc_TypeError, "%s: expected a boolean, integer or float 0/1 mask", name);
        goto done;
    }
    if (same_shape(probe, like, name, "logp") < 0) goto done;
    int typenum = PyArray_TYPE(probe);
    if (typenum == NPY_BOOL && PyArray_IS_C_CONTIGUOUS(probe)) {
        out = (PyArrayObject *)PyArray_View(probe, PyArray_DescrFromType(NPY_UINT8), NULL);
        goto done;
    }
    if (typenum == NPY_BOOL) typenum = NPY_UINT8;
    /* read as they are: uint8, int32 and int64 (torch's int/long masks) and float32 */
    if (typenum == NPY_INT && sizeof(int) == 4) typenum = NPY_INT32;
    if ((typenum == NPY_LONG || typenum == NPY_LONGLONG) && PyArray_ITEMSIZE(probe) == 8) typenum = NPY_INT64;
    if (typenum != NPY_UINT8 && typenum != NPY_INT32 && typenum != NPY_INT64 && typenum != NPY_FLOAT32)
        typenum = NPY_FLOAT64;
    values = (PyArrayObject *)PyArray_FROM_OTF((PyObject *)probe, typenum,
                                               NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
    if (!values) goto done;
    if (typenum == NPY_UINT8) {
        out = values;
        Py_INCREF(out);
    } else {
        out = (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(like), PyArray_DIMS(like), NPY_UINT8);
        if (!out) goto done;
    }
    mask_job job = {PyArray_DATA(values), typenum == NPY_UINT8 ? NULL : PyArray_DATA(out), typenum, 0};
    atomic_init(&job.bad, 0);
    grpo_status st;
    Py_BEGIN_ALLOW_THREADS
    st = grpo_parallel_for(PyArray_SIZE(values), 1 << 16, threads, mask_range, &job);
    Py_END_ALLOW_THREADS
    if (st != GRPO_OK) {
        binding_raise(st, name);
        Py_CLEAR(out);
    } else if (atomic_load(&job.bad)) {
        PyErr_Format(PyExc_ValueError, "%s: expected only 0 and 1 values", name);
        Py_CLEAR(out);
    }
done:
    Py_DECREF(probe);
    Py_XDECREF(values);
    return out;
}

static int parse_agg(PyObject *obj, const char *name, grpo_aggregation *agg) {
    int mode, clamp;
    if (!PyArg_ParseTuple(obj, "iidd", &mode, &clamp, &agg->denominator, &agg->scale)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected (mode, clamp_lengths, denominator, scale)", name);
        return -1;
    }
    agg->mode = mode;
    agg->clamp_lengths = clamp;
    return 0;
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

/* The scalar options of the loss packed once into a grpo_loss_options (as bytes): a training
 * loop repeats the same options, and parsing ~40 keywords per call cost more than the kernel
 * at small sizes. */
static PyObject *py_loss_options(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {
        "ratio_level", "surrogate", "eps_low", "eps_high", "dual_clip", "delta", "log_ratio_min",
        "log_ratio_max", "cispo_min", "cispo_max", "sapo_tau_pos", "sapo_tau_neg", "vespo_k_pos",
        "vespo_lambda_pos", "vespo_k_neg", "vespo_lambda_neg", "is_level", "is_mask", "is_min",
        "is_max", "is_log_clamp", "opsm_threshold", "kl_coef", "kl_estimator",
        "kl_straight_through", "kl_ratio_weighted", "kl_log_clamp", "kl_value_clamp",
        "skip_ratio_metrics", NULL};
    grpo_loss_options opt;
    grpo_loss_options_init(&opt);
    /* every option is keyword-only and defaults to grpo_loss_options_init's value */
    int ratio_level = opt.ratio_level, surrogate = opt.surrogate, is_level = opt.is_level,
        kl_estimator = opt.kl_estimator;
    if (!PyArg_ParseTupleAndKeywords(
            args, kwargs, "|$iiddddddddddddddipdddddippddp", kwlist, &ratio_level, &surrogate,
            &opt.eps_low, &opt.eps_high, &opt.dual_clip, &opt.delta, &opt.log_ratio_min,
            &opt.log_ratio_max, &opt.cispo_min, &opt.cispo_max, &opt.sapo_tau_pos,
            &opt.sapo_tau_neg, &opt.vespo_k_pos, &opt.vespo_lambda_pos, &opt.vespo_k_neg,
            &opt.vespo_lambda_neg, &is_level, &opt.is_mask, &opt.is_min, &opt.is_max,
            &opt.is_log_clamp, &opt.opsm_threshold, &opt.kl_coef, &kl_estimator,
            &opt.kl_straight_through, &opt.kl_ratio_weighted, &opt.kl_log_clamp,
            &opt.kl_value_clamp, &opt.skip_ratio_metrics))
        return NULL;
    opt.ratio_level = ratio_level;
    opt.surrogate = surrogate;
    opt.is_level = is_level;
    opt.kl_estimator = kl_estimator;
    return PyBytes_FromStringAndSize((const char *)&opt, sizeof opt);
}

static PyObject *py_policy_loss(PyObject *self, PyObject *args) {
    PyObject *objs[9], *packed, *policy_agg, *kl_agg, *threads_obj;
    int want_per_token, plain;
    grpo_loss_options opt;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOpSOOOp:policy_loss", &objs[0], &objs[1], &objs[2],
                          &objs[3], &objs[4], &objs[5], &objs[6], &objs[7], &objs[8],
                          &want_per_token, &packed, &policy_agg, &kl_agg, &threads_obj, &plain))
        return NULL;
    if (PyBytes_GET_SIZE(packed) != (Py_ssize_t)sizeof opt) {
        PyErr_SetString(PyExc_ValueError, "options: expected the bytes of _core.loss_options");
        return NULL;
    }
    memcpy(&opt, PyBytes_AS_STRING(packed), sizeof opt);
    if (parse_agg(policy_agg, "policy_agg", &opt.policy_agg) < 0 ||
        parse_agg(kl_agg, "kl_agg", &opt.kl_agg) < 0 || binding_threads(threads_obj, &opt.num_threads) < 0)
        return NULL;

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
    mask = mask_array(objs[5], "mask", logp, opt.num_threads);
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

static PyMethodDef core_methods[] = {
    {"build_info", py_build_info, METH_NOARGS, "Compiler, flags and threading of this build."},
    {"group_stats", (PyCFunction)(void (*)(void))py_group_stats, METH_VARARGS | METH_KEYWORDS,
     "Per-group (count, sum, M2) of the scorable rewards."},
    {"merge_group_stats", py_merge_group_stats, METH_VARARGS, "Merge two shards' group statistics."},
    {"group_advantages", (PyCFunction)(void (*)(void))py_group_advantages,
     METH_VARARGS | METH_KEYWORDS, "Advantages against given group statistics."},
    {"whiten_tokens", (PyCFunction)(void (*)(void))py_whiten_tokens, METH_VARARGS | METH_KEYWORDS,
     "Masked token whitening of per-row advantages."},
    {"loss_options", (PyCFunction)(void (*)(void))py_loss_options, METH_VARARGS | METH_KEYWORDS,
     "The scalar loss options packed for policy_loss."},
    {"policy_loss", (PyCFunction)(void (*)(void))py_policy_loss, METH_VARARGS,
     "Policy loss, gradient and metrics (positional; options from loss_options)."},
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
