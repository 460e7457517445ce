"""The screening on Dask (two workers of a distributed.LocalCluster) is identical to one process."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from boligregler import load_policy
from boligregler.screening import cluster, files, population

distributed = pytest.importorskip("distributed")


def test_two_workers_give_the_single_process_result(tmp_path):
    table = population.households(2400, seed=31)
    data = tmp_path / "register"
    data.mkdir()
    for i in range(4):
        pq.write_table(table.slice(i * 600, 600), data / f"part-{i}.parquet")
    policy = load_policy("drammen")
    single = files.plain_strings(pa.concat_tables(files.result_table(policy.evaluate_batch(c.batch), c)
                                                  for c in files.table_chunks(policy, str(data), "parquet")))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            distributed.Client(lc) as client:
        frame = cluster.screen_parquet(policy, str(data))
        assert frame.npartitions == 4
        result = frame.compute()
        workers = client.run(lambda: 1)
        frame.to_parquet(str(tmp_path / "ut"), write_index=False)
    assert len(workers) == 2
    got = pa.Table.from_pandas(result, preserve_index=False)
    assert got.schema == single.schema
    assert got.equals(single)
    assert got.column("rad").to_pylist() == list(range(1, 2401))
    written = pq.read_table(tmp_path / "ut")
    assert written.column("utfall").to_pylist() == single.column("utfall").to_pylist()


def test_the_policy_travels_as_text_and_is_checked(tmp_path):
    policy = load_policy("drammen")
    texts = cluster.policy_texts(policy)
    assert [pid for pid, _ in texts] == ["nasjonal", "drammen"]
    assert cluster._policy(texts, policy.sha256).sha256 == policy.sha256
    with pytest.raises(Exception, match="ikke det samme"):
        cluster._policy(texts, "0" * 64)
