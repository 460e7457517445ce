"""A longer fuzzing run of the properties in tests/test_fuzz.py (mutated policies, søknader and batches) and
tests/test_locations.py (an error injected at a known token is reported there).

    python benchmarks/fuzz.py                  # 2 000 examples per property, a random seed
    python benchmarks/fuzz.py --antall 10000 --frø 42

Any failure is printed by pytest with the smallest input Hypothesis found; rerun with the same seed to
reproduce it.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--antall", type=int, default=2000, help="eksempler per egenskap (standard: 2000)")
    parser.add_argument("--frø", type=int, default=None, help="frø for Hypothesis (standard: tilfeldig)")
    args = parser.parse_args()
    seed = args.frø if args.frø is not None else random.randrange(2 ** 32)
    print(f"fuzzing med {args.antall} eksempler per egenskap, frø {seed}", flush=True)
    env = {**os.environ, "BOLIGREGLER_FUZZ_EXAMPLES": str(args.antall)}
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--hypothesis-seed={seed}",
                            str(ROOT / "tests" / "test_fuzz.py"), str(ROOT / "tests" / "test_locations.py")],
                           env=env, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
