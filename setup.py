"""Build of grpo_c: the csrc/ core as one static library and one extension module over it.

All ``csrc/python/_<topic>.c`` files build ``grpo_c._core`` (one copy of the core, one worker
pool per process); ``_core.c`` creates the topic modules ``grpo_c._<topic>`` the other files
define.

BLAS: OpenBLAS from the scipy-openblas32 wheel (a build requirement and a runtime dependency:
its headers and library are the wheel's; grpo_c/_blas.py loads the library before the
extension); ``GRPO_C_BLAS=system`` builds against a system OpenBLAS found by pkg-config instead.
"""

import glob
import os
import shlex
import subprocess
import sysconfig

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CORE_CFLAGS = ["-std=c11", "-O3", "-Wall", "-Wextra", "-Wno-unused-parameter", "-pthread",
               "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd", "-D_GNU_SOURCE"]
if os.environ.get("GRPO_C_NATIVE") == "1":
    CORE_CFLAGS.append("-march=native")

core_sources = sorted(glob.glob("csrc/*.c"))
core_headers = sorted(glob.glob("csrc/*.h"))
binding_sources = sorted(glob.glob("csrc/python/_*.c"))
compiler = sysconfig.get_config_var("CC") or "cc"
build_macros = [("GRPO_BUILD_CFLAGS", '"%s"' % " ".join(CORE_CFLAGS)),
                ("GRPO_BUILD_CC", '"%s"' % compiler.split()[0])]


def blas_build():
    """(include dirs, compile macros, link args) of the BLAS this build links."""
    if os.environ.get("GRPO_C_BLAS", "scipy-openblas32") == "system":
        def pkg_config(*flags):
            return shlex.split(subprocess.check_output(["pkg-config", *flags, "openblas"], text=True))
        includes = [flag[2:] for flag in pkg_config("--cflags-only-I")]
        return includes, [("GRPO_BLAS_SYSTEM", "1")], pkg_config("--libs")
    import scipy_openblas32 as openblas

    # the library is found at run time by grpo_c/_blas.py (loaded first, by its soname) or, for
    # an installed wheel, next to grpo_c in site-packages
    return ([openblas.get_include_dir()], [],
            ["-L" + openblas.get_lib_dir(), "-l" + openblas.get_library(),
             "-Wl,-rpath,$ORIGIN/../scipy_openblas32/lib"])


blas_includes, blas_macros, blas_link = blas_build()

extensions = [
    Extension(
        "grpo_c._core",
        sources=binding_sources,
        depends=core_sources + core_headers + sorted(glob.glob("csrc/python/*.h")),
        include_dirs=["csrc", numpy.get_include()] + blas_includes,
        define_macros=build_macros + blas_macros,
        extra_compile_args=CORE_CFLAGS,
        extra_link_args=["-pthread"] + blas_link,
    )
]


class BuildExtWithCore(build_ext):
    """Builds the core library first, so ``build_ext --inplace`` alone is a complete build."""

    def run(self):
        self.run_command("build_clib")
        super().run()


setup(
    cmdclass={"build_ext": BuildExtWithCore},
    # obj_deps: every core object is rebuilt when a core header or the flags here change
    libraries=[("grpo", {"sources": core_sources, "include_dirs": ["csrc"] + blas_includes,
                         "macros": blas_macros, "cflags": CORE_CFLAGS,
                         "obj_deps": {"": core_headers + ["setup.py"]}})],
    ext_modules=extensions,
)
