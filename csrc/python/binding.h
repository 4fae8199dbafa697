/*
 * binding.h - helpers shared by the Python binding files (the only files that see Python.h).
 *
 * The binding files build one extension, grpo_c._core, over one copy of the core library, so a
 * process has one worker pool. _core.c's module init also creates the topic modules each other
 * file defines (grpo_c._math, grpo_c._text, grpo_c._sandbox) and registers them in sys.modules
 * under those names, so `from grpo_c import _math` finds them once grpo_c is imported. Kernels only ever receive
 * C-contiguous, aligned, native-endian buffers: every array goes through binding_array(), which
 * checks the dtype kind (TypeError) and converts or copies as needed, never writing to the input.
 * Errors name the argument; a status from the core becomes an exception in binding_raise().
 */
#ifndef GRPO_BINDING_H
#define GRPO_BINDING_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
/* One NumPy C-API table for the whole extension, filled by _core.c's import_array(). */
#define PY_ARRAY_UNIQUE_SYMBOL grpo_c_ARRAY_API
#ifndef GRPO_BINDING_IMPORTS_ARRAY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "grpo.h"

/* The topic modules, created by _core.c's module init (each defined in its own file). */
PyObject *binding_math_module(void);
PyObject *binding_text_module(void);
PyObject *binding_sandbox_module(void);

/* grpo_c.GRPOError's subclasses that core failures raise, also subclasses of ValueError,
 * MemoryError, OSError and RuntimeError; created by _core.c's module init. */
enum { BINDING_VALUE_ERROR, BINDING_MEMORY_ERROR, BINDING_OS_ERROR, BINDING_RUNTIME_ERROR,
       BINDING_ERROR_KINDS };
extern PyObject *binding_errors[BINDING_ERROR_KINDS];

/* Sets the exception for a failed core call unless one is already set (an error once set is
 * never overwritten): the status's kind of grpo_c.GRPOError, its text and its C name. Returns
 * NULL for `return binding_raise(...)` convenience. */
static inline PyObject *binding_raise(grpo_status status, const char *what) {
    if (PyErr_Occurred()) return NULL;
    int kind = BINDING_RUNTIME_ERROR;
    const char *name = "GRPO_ERR_UNKNOWN";
    switch (status) {
    case GRPO_OK: name = "GRPO_OK"; break;
    case GRPO_ERR_INVALID: kind = BINDING_VALUE_ERROR, name = "GRPO_ERR_INVALID"; break;
    case GRPO_ERR_SHAPE: kind = BINDING_VALUE_ERROR, name = "GRPO_ERR_SHAPE"; break;
    case GRPO_ERR_NOMEM: kind = BINDING_MEMORY_ERROR, name = "GRPO_ERR_NOMEM"; break;
    case GRPO_ERR_THREAD: name = "GRPO_ERR_THREAD"; break;
    case GRPO_ERR_SYSTEM: kind = BINDING_OS_ERROR, name = "GRPO_ERR_SYSTEM"; break;
    case GRPO_ERR_UNSUPPORTED: name = "GRPO_ERR_UNSUPPORTED"; break;
    }
    PyErr_Format(binding_errors[kind], "%s: %s (%s)", what, grpo_strerror(status), name);
    return NULL;
}

/* Accepted dtype kinds for numeric inputs: bool, signed/unsigned integers, floats. */
static inline int binding_kind_ok(PyArray_Descr *descr, const char *kinds) {
    return descr->kind != 0 && strchr(kinds, descr->kind) != NULL;
}

/* Converts `obj` to a C-contiguous aligned array of `typenum`, accepting only dtype kinds in
 * `kinds` (e.g. "biuf"). ndim must be in [min_ndim, max_ndim]. Returns a new reference or NULL
 * with TypeError/ValueError naming `name`. */
static inline PyArrayObject *binding_array(PyObject *obj, const char *name, int typenum,
                                           const char *kinds, int min_ndim, int max_ndim) {
    PyArrayObject *probe = (PyArrayObject *)PyArray_FROM_O(obj);
    if (probe == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected an array-like of numbers, got %.100s", name,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyArray_Descr *descr = PyArray_DESCR(probe);
    if (!binding_kind_ok(descr, kinds)) {
        PyObject *repr = PyObject_Str((PyObject *)descr);
        PyErr_Format(PyExc_TypeError, "%s: expected a %s dtype, got %s", name,
                     strchr(kinds, 'i') ? "boolean, integer or floating" : "floating",
                     repr ? PyUnicode_AsUTF8(repr) : "?");
        Py_XDECREF(repr);
        Py_DECREF(probe);
        return NULL;
    }
    int ndim = PyArray_NDIM(probe);
    if (ndim < min_ndim || ndim > max_ndim) {
        if (min_ndim == max_ndim)
            PyErr_Format(PyExc_ValueError, "%s: expected a %d-d array, got %d-d", name, min_ndim,
                         ndim);
        else
            PyErr_Format(PyExc_ValueError, "%s: expected a %d-d to %d-d array, got %d-d", name,
                         min_ndim, max_ndim, ndim);
        Py_DECREF(probe);
        return NULL;
    }
    PyArrayObject *arr = (PyArrayObject *)PyArray_FROM_OTF((PyObject *)probe, typenum,
                                                           NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
    Py_DECREF(probe);
    return arr;
}

/* Validates a caller-supplied output buffer: exact dtype, shape, C-contiguous, writable. */
static inline int binding_check_out(PyArrayObject *out, const char *name, int typenum, int ndim,
                                    const npy_intp *shape) {
    if (PyArray_TYPE(out) != typenum) {
        PyObject *want = (PyObject *)PyArray_DescrFromType(typenum);
        PyObject *s = want ? PyObject_Str(want) : NULL;
        PyErr_Format(PyExc_TypeError, "%s: expected dtype %s", name, s ? PyUnicode_AsUTF8(s) : "?");
        Py_XDECREF(s);
        Py_XDECREF(want);
        return -1;
    }
    if (PyArray_NDIM(out) != ndim || !PyArray_CompareLists(PyArray_DIMS(out), shape, ndim)) {
        PyErr_Format(PyExc_ValueError, "%s: shape does not match the input it is the output for",
                     name);
        return -1;
    }
    if (!PyArray_IS_C_CONTIGUOUS(out) || !PyArray_ISALIGNED(out) || PyArray_ISBYTESWAPPED(out)) {
        PyErr_Format(PyExc_ValueError, "%s: must be a C-contiguous, aligned, native array", name);
        return -1;
    }
    if (!PyArray_ISWRITEABLE(out)) {
        PyErr_Format(PyExc_ValueError, "%s: must be writable (got a read-only array)", name);
        return -1;
    }
    return 0;
}

/* Converts an optional num_threads (None or int >= 1) to an int. */
static inline int binding_threads(PyObject *obj, int *out) {
    if (obj == NULL || obj == Py_None) {
        *out = 1;
        return 0;
    }
    long n = PyLong_AsLong(obj);
    if (n == -1 && PyErr_Occurred()) return -1;
    if (n < 1 || n > 1024) {
        PyErr_Format(PyExc_ValueError, "num_threads: expected an integer in [1, 1024], got %ld", n);
        return -1;
    }
    *out = (int)n;
    return 0;
}

#endif /* GRPO_BINDING_H */
