"""Scale-out: Dask (LocalCluster, 2 worker processes) and Spark (local[2]) give exactly the single-machine results."""

from __future__ import annotations

import os
import sys

import pandas as pd
import pytest

from pilkada_nlp.batch import score_dataframe
from tests.conftest import REPO

# PySpark's own pandas-version notices, not ours.
pytestmark = [pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


def posts() -> pd.DataFrame:
    """200 authored posts with bad rows mixed in, and a clashing ``label`` column that must survive as input_label."""
    authored = pd.read_csv(REPO / "data" / "authored" / "illegal_campaign_part1.csv", dtype=str, keep_default_na=False)
    frame = pd.DataFrame({"post_id": [f"P{i:04d}" for i in range(200)], "text": authored["text"].iloc[:200].tolist(),
                          "label": authored["label"].iloc[:200].tolist()})
    frame.loc[[5, 50, 150], "text"] = ["", "   ", None]
    return frame


def same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal values, column names and order; missing values compared as missing whatever their dtype says."""
    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.reset_index(drop=True).astype(object)
        return frame.where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(got), plain(expected), check_dtype=False, check_exact=True)


def test_dask_local_cluster_equals_pandas(tiny_model_dir):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("dask.distributed")
    from pilkada_nlp.batch import worker_model
    from pilkada_nlp.distributed import score_dask

    frame = posts()
    expected = score_dataframe(frame, "text", model=str(tiny_model_dir))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        scored = score_dask(dd.from_pandas(frame, npartitions=8), "text", model=str(tiny_model_dir))
        got = scored.compute()
        loads = client.run(lambda: worker_model.cache_info().misses)
    assert list(got.columns) == list(expected.columns)
    same(got.sort_values("post_id"), expected)
    assert len(loads) == 2 and all(n == 1 for n in loads.values())  # the model is loaded once per worker


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # workers run this environment's Python
    session = (SparkSession.builder.master("local[2]").appName("pilkada-nlp-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_pandas_udf_equals_pandas(spark, tiny_model_dir):
    from pilkada_nlp import load_model
    from pilkada_nlp.distributed import score_spark

    frame = posts()
    model = load_model(tiny_model_dir)
    expected = score_dataframe(frame, "text", model=model)
    got = score_spark(spark.createDataFrame(frame).repartition(2), "text", model=model).toPandas()
    assert list(got.columns) == list(expected.columns)
    same(got.sort_values("post_id"), expected)
