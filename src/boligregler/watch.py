"""Watch mode (`--følg`): run a command again each time one of the files it read changes."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable


def _stamps(paths: Iterable[str]) -> dict[str, tuple[int, int] | None]:
    out = {}
    for path in paths:
        try:
            st = os.stat(path)
            out[path] = (st.st_mtime_ns, st.st_size)
        except OSError:
            out[path] = None
    return out


def follow(run: Callable[[], tuple[int, Iterable[str]]], *, interval: float = 0.3,
           rounds: int | None = None) -> int:
    """Call `run` (which returns its exit code and the files it read), then again on every change.

    Stops with Ctrl-C (the CLI turns it into exit code 130), or after `rounds` runs.
    """
    done = 0
    while True:
        code, files = run()
        done += 1
        if rounds is not None and done >= rounds:
            return code
        stamps = _stamps(files)
        print(f"\nVenter på endringer i {len(stamps)} fil(er) … (Ctrl-C avslutter)", file=sys.stderr, flush=True)
        while _stamps(stamps) == stamps:
            time.sleep(interval)
        print(f"\n── endret {time.strftime('%H:%M:%S')} ──", file=sys.stderr, flush=True)
