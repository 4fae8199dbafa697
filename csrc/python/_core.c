/*
 * _core.c - binding of the numeric kernels (advantages, policy loss) as grpo_c._core.
 */
#include "binding.h"

static PyObject *py_build_info(PyObject *self, PyObject *noargs) {
    return Py_BuildValue("{s:s,s:s,s:s,s:s,s:s}", "compiler", GRPO_BUILD_CC " " __VERSION__,
                         "cflags", GRPO_BUILD_CFLAGS, "threading",
                         "pthreads, created per call, deterministic chunking", "blas", "none",
                         "numpy_build", NPY_FEATURE_VERSION_STRING);
}

static PyMethodDef core_methods[] = {
    {"build_info", py_build_info, METH_NOARGS, "Compiler, flags and threading of this build."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {PyModuleDef_HEAD_INIT, "grpo_c._core",
                                         "Numeric kernels of grpo_c.", -1, core_methods,
                                         NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__core(void) {
    import_array();
    return PyModule_Create(&core_module);
}
