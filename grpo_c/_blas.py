"""Loads the OpenBLAS of the scipy-openblas32 wheel before the extension that links it: the
extension names the library by its soname only (the wheel's path differs between the build and
the installation), and a library already loaded under that soname satisfies it. A build against
a system OpenBLAS (GRPO_C_BLAS=system) finds it on the system's library path instead."""

from __future__ import annotations

import ctypes
import os


def load() -> None:
    try:
        import scipy_openblas32
    except ImportError:   # a system-BLAS build
        return
    path = os.path.join(scipy_openblas32.get_lib_dir(), scipy_openblas32.get_library(fullname=True))
    ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
