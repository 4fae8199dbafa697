"""Build of grpo_c: the csrc/ core as one static library and one extension module over it.

All ``csrc/python/_<topic>.c`` files build ``grpo_c._core`` (one copy of the core, one worker
pool per process); ``_core.c`` creates the topic modules ``grpo_c._<topic>`` the other files
define.
"""

import glob
import os
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

extensions = [
    Extension(
        "grpo_c._core",
        sources=binding_sources,
        depends=core_sources + core_headers + sorted(glob.glob("csrc/python/*.h")),
        include_dirs=["csrc", numpy.get_include()],
        define_macros=build_macros,
        extra_compile_args=CORE_CFLAGS,
        extra_link_args=["-pthread"],
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
    libraries=[("grpo", {"sources": core_sources, "include_dirs": ["csrc"], "cflags": CORE_CFLAGS,
                         "obj_deps": {"": core_headers + ["setup.py"]}})],
    ext_modules=extensions,
)
