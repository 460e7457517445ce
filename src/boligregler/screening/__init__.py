"""Screening many households: tables in and out, the kartlegging, the impact of a rule change, Dask.

Built on the columnar backend (`boligregler.evaluation.columnar`); needs the `screening` extra
(numpy, pyarrow, dask, openpyxl).
"""

import sys

# The household types reports group by (`population.household_type`), in report order, with their labels
HOUSEHOLD_LABELS = {"enslig": "enslig", "enslig_forsørger": "enslig forsørger", "par_uten_barn": "par uten barn",
                    "par_med_barn": "par med barn", "bofellesskap": "tre eller flere voksne"}


def skip_pandas_probe() -> None:
    """Let pyarrow start without importing pandas (0.5–2 s), for a command that never needs it.

    pyarrow imports pandas on its first array, only to recognise pandas objects. With pandas
    hidden during that first probe it records «no pandas» and goes on; a later `to_pandas` or
    `from_pandas` (the Dask path) imports pandas then, as pyarrow retries on those calls.
    """
    if "pandas" in sys.modules or "pyarrow.lib" in sys.modules:
        return
    sys.meta_path.insert(0, _NoPandas)
    try:
        import pyarrow as pa
        pa.array([0])
    finally:
        sys.meta_path.remove(_NoPandas)


class _NoPandas:
    """A module finder under which `import pandas` fails as if it were not installed."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
