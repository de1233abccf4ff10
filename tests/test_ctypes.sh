#!/bin/sh
# libmagpool.so from Python's ctypes (a dlopen with no GLIBC_TUNABLES):
# it loads, and get/put work.
lib="${MP_BUILDDIR:-.}/.libs/libmagpool.so"
[ -r "$lib" ] || { echo "no $lib (a --disable-shared build): skipped"; exit 77; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
unset GLIBC_TUNABLES
exec python3 - "$lib" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.magpool_create.restype = ctypes.c_void_p
lib.magpool_create.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
lib.magpool_get.restype = ctypes.c_void_p
lib.magpool_get.argtypes = [ctypes.c_void_p]
lib.magpool_put.argtypes = [ctypes.c_void_p]
lib.magpool_destroy.argtypes = [ctypes.c_void_p]
lib.magpool_stats.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
pool = lib.magpool_create(b"ctypes", 200, None)
assert pool, "magpool_create failed"
held = [lib.magpool_get(pool) for _ in range(10000)]
assert all(held) and len(set(held)) == len(held), "bad or duplicate objects"
for p in held:
    ctypes.memset(p, 0xab, 200)
st = (ctypes.c_uint64 * 64)()
assert lib.magpool_stats(pool, st) == 0
assert st[64 // 8 + 3] == 10000, "active %d, want 10000" % st[64 // 8 + 3]
for p in held:
    lib.magpool_put(p)
assert lib.magpool_stats(pool, st) == 0 and st[64 // 8 + 3] == 0
lib.magpool_destroy(pool)
print("test_ctypes: %s loaded by ctypes, 10,000 get/put: ok" % sys.argv[1])
PY
