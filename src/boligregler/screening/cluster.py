"""The same screening over partitioned Parquet on Dask: `map_partitions` over the columnar backend.

Each partition is validated and decided on a worker exactly as `vurder --utdata tabell` decides a
chunk, and gives the same result table (row numbers counted across the partitions in order), so
a run on a cluster is identical to a run in one process. The policy travels as its texts (the
file and every policy it builds on), so workers need no copy of the policy files and always run
the same version (its sha256 is checked on every worker).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pyarrow as pa

from boligregler.diagnostics import BoligreglerError

HEADER = re.compile(r"^\s*regelverk\s+([^\W\d][\w]*)", re.MULTILINE)


def policy_texts(policy) -> tuple[tuple[str, str], ...]:
    """(id, text) of a policy and every policy it builds on, the policy itself last."""
    by_id = {}
    for path, text in policy.model.sources.items():
        m = HEADER.search(text)
        if m:
            by_id[m.group(1)] = text
    return tuple((pid, by_id[pid]) for pid in policy.model.chain if pid in by_id)


@lru_cache(maxsize=8)
def _policy(texts: tuple[tuple[str, str], ...], sha256: str):
    from boligregler.api import load_policy_text
    sources = dict(texts)
    pid, text = texts[-1]
    policy = load_policy_text(text, f"{pid}.pol", resolver=sources.get)
    if policy.sha256 != sha256:
        raise BoligreglerError(f"regelverket «{pid}» på arbeideren er ikke det samme som hos klienten")
    return policy


def _decide_partition(frame, texts, sha256, offsets, criteria, partition_info=None):
    """One partition (a pandas frame backed by Arrow) → its result rows as a pandas frame."""
    from boligregler.screening import files
    from boligregler.screening.tabular import chunks
    policy = _policy(texts, sha256)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    number = partition_info["number"] if partition_info else 0
    first = int(offsets[number]) + 1 if number < len(offsets) else 1
    parts = []
    pieces = (table.slice(i, files.CHUNK_ROWS) for i in range(0, max(table.num_rows, 1), files.CHUNK_ROWS))
    for chunk in chunks(policy.model, pieces, policy.validate, first_row=first):
        result = policy.evaluate_batch(chunk.batch)
        parts.append(files.result_table(result, chunk, criteria=criteria))
    return _to_pandas(files.plain_strings(pa.concat_tables(parts)))


def _to_pandas(table: pa.Table):
    import pandas as pd
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def screen_parquet(policy, path: str, *, criteria: bool = True, client=None):
    """A dask DataFrame of result rows for every row of the (partitioned) Parquet dataset at `path`.

    Rows that fail validation are left out, as in `vurder`; `problems(policy, path)` lists them.
    """
    import dask.dataframe as dd
    frame = dd.read_parquet(path, dtype_backend="pyarrow")
    lengths = frame.map_partitions(len).compute()
    offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])
    texts = policy_texts(policy)
    meta = _meta(policy, frame, criteria)
    return frame.map_partitions(_decide_partition, texts, policy.sha256, offsets, criteria, meta=meta,
                                enforce_metadata=False)


def _meta(policy, frame, criteria: bool):
    """The result frame's columns, from deciding the dataset's first row locally."""
    head = frame.partitions[0].head(1, compute=True)
    out = _decide_partition(head, policy_texts(policy), policy.sha256, np.array([0]), criteria)
    return out.iloc[:0]
