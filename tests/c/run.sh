#!/usr/bin/env bash
# Builds every tests/c/test_*.c against the whole core under AddressSanitizer and
# UndefinedBehaviorSanitizer (any report is fatal) and runs it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/tests/c/bin"
mkdir -p "$out"
cc=${CC:-gcc}
# the OpenBLAS of the scipy-openblas32 wheel (a dependency of grpo_c), as setup.py links it
read -r blas_include blas_lib blas_name < <(python -c "import scipy_openblas32 as o; \
print(o.get_include_dir(), o.get_lib_dir(), o.get_library())")
flags=(-std=c11 -O1 -g -D_GNU_SOURCE -pthread -fopenmp-simd -fno-omit-frame-pointer
       -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter
       -I"$root/csrc" -I"$blas_include")
blas_link=(-L"$blas_lib" -l"$blas_name" -Wl,-rpath,"$blas_lib")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
# The library exports only its API (grpo_*): its internals must not collide with a host's.
objects=$(mktemp -d)
for src in "$root"/csrc/*.c; do
    "$cc" -std=c11 -D_GNU_SOURCE -pthread -fopenmp-simd -I"$root/csrc" -I"$blas_include" -c "$src" \
        -o "$objects/$(basename "$src" .c).o"
done
foreign=$(nm -g --defined-only "$objects"/*.o | awk 'NF == 3 && $3 !~ /^grpo_/ {print $3}')
rm -rf "$objects"
if [ -n "$foreign" ]; then
    echo "FAIL exported symbols outside grpo_*: $foreign"
    status=1
else
    echo "ok   exported symbols"
fi
for test in "$root"/tests/c/test_*.c; do
    name=$(basename "$test" .c)
    "$cc" "${flags[@]}" "$test" "$root"/csrc/*.c -lm "${blas_link[@]}" -o "$out/$name"
    if "$out/$name"; then
        echo "ok   $name"
    else
        echo "FAIL $name"
        status=1
    fi
done
exit $status
