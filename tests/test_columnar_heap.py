"""The columnar backend keeps freed memory for reuse (`evaluation.heap`): a chunk's arrays land on
pages the previous chunk touched, not on fresh ones (each a page fault)."""

import os
import resource

import pytest

np = pytest.importorskip("numpy")

from boligregler.evaluation import heap  # noqa: E402


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):
        return False


@pytest.mark.skipif(not _glibc(), reason="glibc's malloc only")
def test_freed_arrays_are_reused_without_page_faults():
    assert heap.keep_freed_memory() and heap.keep_freed_memory()  # in force, and asked once
    size = 2 << 20  # a chunk's int64 column (2^18 rows): above glibc's default mmap threshold
    arrays = [np.ones(size // 8) for _ in range(32)]
    del arrays
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(size // 8) for _ in range(32)]  # 64 MB touched again
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 32 * size // 4096 // 10, faults  # fresh pages would be 16 384 faults
    del arrays
