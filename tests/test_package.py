import grpo_c


def test_version_and_build_info():
    assert grpo_c.__version__
    info = grpo_c.build_info()
    assert {"compiler", "cflags", "threading", "blas", "default_threads"} <= set(info)
