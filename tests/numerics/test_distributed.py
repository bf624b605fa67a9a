"""Sharded compression on a 2-worker Dask LocalCluster: the merged result keeps the whole data's moments."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster

from unicomp.errors import InputError, PrecisionError
from unicomp.numerics.basis import num_moments
from unicomp.numerics.distributed import compress_sharded
from unicomp.verify import check_compression


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    # Threads, not processes: starts in about a second and shuts down without stray warnings.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},  # leave port 8787 free
        ) as cluster,
        Client(cluster) as cl,
    ):
        yield cl


@pytest.fixture(scope="module")
def shards() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    # Unequal sizes and shifted boxes, so no shard has the global bounding box.
    return [rng.normal(loc=i, scale=1 + i, size=(700 + 300 * i, 3)) for i in range(4)]


def test_recombination_keeps_the_whole_data_moments(client: Client, shards: list[np.ndarray]) -> None:
    comp = compress_sharded(shards, degree=4, client=client)
    whole = np.concatenate(shards)
    report = check_compression(comp, whole)  # both bases, exact sums over the whole data
    assert comp.size <= num_moments(3, 4) == 35
    assert comp.n_input == whole.shape[0]
    assert comp.method == "sharded-recombine"
    assert comp.info["shards"] == 4 and comp.info["shard_sizes"] == [s.shape[0] for s in shards]
    assert comp.info["workers"] == 2
    assert comp.info["survivors"] <= 4 * 35
    assert report.chebyshev_residual < 1e-12  # float64 sums of ~5000 points: rounding only
    # Indices point into the concatenation: the kept rows are rows of the whole data set.
    np.testing.assert_array_equal(whole[comp.indices], comp.take(whole))


def test_target_size(client: Client, shards: list[np.ndarray]) -> None:
    comp = compress_sharded(shards, degree=3, size=300, client=client, seed=4)
    check_compression(comp, np.concatenate(shards))
    assert comp.size == 300
    assert comp.method == "sharded-partition"
    assert comp.info["survivors"] > 300  # oversampled shards, then one final compression


def test_large_target_keeps_shard_results(client: Client, shards: list[np.ndarray]) -> None:
    """If the merged survivors already fit, the final step keeps them all."""
    comp = compress_sharded(shards, degree=2, size=3000, client=client, oversample=1.0)
    check_compression(comp, np.concatenate(shards))
    assert comp.size == comp.info["survivors"] <= 3000


def test_npy_paths_and_dask_array(client: Client, shards: list[np.ndarray], tmp_path: Path) -> None:
    paths = []
    for i, s in enumerate(shards):
        np.save(tmp_path / f"shard{i}.npy", s)
        paths.append(tmp_path / f"shard{i}.npy")
    whole = np.concatenate(shards)
    from_files = compress_sharded(paths, degree=3, client=client)
    check_compression(from_files, whole)
    from_dask = compress_sharded(da.from_array(whole, chunks=(1500, 1)), degree=3, client=client)
    check_compression(from_dask, whole)
    assert from_dask.info["shards"] == -(-whole.shape[0] // 1500)
    # The same shards give the same result whichever way they arrive.
    same = compress_sharded([whole[i : i + 1500] for i in range(0, whole.shape[0], 1500)], degree=3, client=client)
    np.testing.assert_array_equal(same.indices, from_dask.indices)


def test_scheduler_address(client: Client, shards: list[np.ndarray]) -> None:
    comp = compress_sharded(shards[:2], degree=2, client=client.scheduler.address)
    check_compression(comp, np.concatenate(shards[:2]))
    assert client.status == "running"  # the caller's client is left open


def test_verification_can_fail(client: Client, shards: list[np.ndarray]) -> None:
    with pytest.raises(PrecisionError, match="against the whole data"):
        compress_sharded(shards, degree=2, client=client, tol=1e-30)


def test_bad_input(client: Client, shards: list[np.ndarray], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="same number of columns"):
        compress_sharded([shards[0], shards[1][:, :2]], degree=2, client=client)
    with pytest.raises(InputError, match="no such file"):
        compress_sharded([tmp_path / "missing.npy"], degree=2, client=client)
    with pytest.raises(InputError, match="at least N_"):
        compress_sharded(shards, degree=3, size=10, client=client)
    with pytest.raises(InputError, match="non-empty list"):
        compress_sharded([], degree=2, client=client)
    with pytest.raises(InputError, match="client must be"):
        compress_sharded(shards, degree=2, client=42)
    bad = shards[0].copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="finite"):
        compress_sharded([shards[1], bad], degree=2, client=client)
    (tmp_path / "junk.npy").write_text("not an array")
    with pytest.raises(InputError, match="cannot read shard"):
        compress_sharded([tmp_path / "junk.npy"], degree=2, client=client)


def test_default_local_cluster(shards: list[np.ndarray]) -> None:
    """No client: a LocalCluster (worker processes) is started for the call and shut down after it."""
    before = dict(os.environ)
    comp = compress_sharded(shards[:2], degree=2)
    # issue 12: the cluster's OMP/MKL/OPENBLAS_NUM_THREADS, MALLOC_TRIM_THRESHOLD_, PYTHONHASHSEED and
    # __DASK_PARENT_PID were left in the caller's environment
    assert dict(os.environ) == before
    check_compression(comp, np.concatenate(shards[:2]))
    # the default cluster has one worker per core, at most 4 (a cluster that failed to start one differs)
    assert comp.info["workers"] == min(4, os.cpu_count() or 1)


def test_size_rule_matches_compress(client: Client, shards: list[np.ndarray]) -> None:
    """issue 12: N_mk <= size <= N, the message naming the largest feasible degree; a small shard is kept whole."""
    total = sum(s.shape[0] for s in shards)
    with pytest.raises(InputError, match=rf"size must be at most the number of objects, {total}"):
        compress_sharded(shards, degree=2, size=total + 1, client=client)
    with pytest.raises(InputError, match=r"the largest feasible degree is 1 .*or pass size=None"):
        compress_sharded(shards, degree=3, size=5, client=client)
    with pytest.raises(InputError, match="seed must be a non-negative integer"):
        compress_sharded(shards, degree=2, seed=-1, client=client)
    tiny = [shards[0], shards[1][:12]]  # 12 rows < the shard's share of the target: kept whole, no error
    comp = compress_sharded(tiny, degree=2, size=400, client=client)
    assert comp.size == 400
    check_compression(comp, np.concatenate(tiny))
