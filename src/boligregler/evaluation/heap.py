"""Keep freed memory for reuse: the columnar backend's arrays are cheap to compute, dear to map.

Every NumPy operation of the columnar backend writes a new array of a chunk's rows. glibc's malloc
hands memory back to the kernel when much of it is free (the top of the heap beyond its trim
threshold, and every block above its mmap threshold), so each chunk's arrays land on fresh pages,
and the first touch of a fresh page is a page fault: an operation writing into fresh memory costs
many times the same operation on memory that is reused (`python benchmarks/screening.py --sider`
measures both, and the backend with and without this setting; figures in docs/ytelse.md).

`keep_freed_memory` raises both thresholds once per process (glibc only; elsewhere it does
nothing), so the pages of one chunk are reused by the next and by the next batch. The price is a
process that keeps up to `TRIM_THRESHOLD` bytes of freed memory instead of returning it at once;
blocks above `MMAP_THRESHOLD` are still mapped and unmapped one by one. Dask's nanny sets the
trim threshold low for its workers (`MALLOC_TRIM_THRESHOLD_`), to give memory back sooner; in a
worker that runs the columnar backend this setting takes its place.
"""

from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD = -1  # glibc malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 256 << 20

_active: bool | None = None  # None: not yet asked


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):
        return False


def keep_freed_memory() -> bool:
    """Ask glibc's malloc, once per process, to keep freed memory for reuse; True when the settings are in force."""
    global _active
    if _active is None:
        _active = False
        if _glibc():
            try:
                mallopt = ctypes.CDLL(None).mallopt
            except (OSError, AttributeError):
                return False
            mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
            _active = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _active
