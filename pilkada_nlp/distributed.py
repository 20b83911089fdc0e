"""Scoring on an existing cluster: Dask (``map_partitions``) and Spark (a ``pandas_udf``), same results as one machine.

Both run :func:`pilkada_nlp.score_dataframe` on each partition, so every row gets exactly what the single-machine path
gives it (the tests check equality on a local cluster). The task ships a model *reference* (a shipped name or a model
directory, plus the thresholds: :func:`~pilkada_nlp.batch.model_ref`), never the loaded weights: each worker process
loads the model once, on first use, and keeps it (:func:`~pilkada_nlp.batch.worker_model`), however many partitions
it scores.

Needs the ``distributed`` extra (``pip install 'pilkada-nlp[distributed]'``). Spark runs Python workers with the
interpreter named by ``PYSPARK_PYTHON``; point it at the environment where pilkada-nlp is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pilkada_nlp.batch import OUTPUT_COLUMNS, check_column, model_ref, output_name, score_partition
from pilkada_nlp.labels import LABELS
from pilkada_nlp.models import Classifier

#: Spark schema of the scoring columns, in :data:`~pilkada_nlp.batch.OUTPUT_COLUMNS` order.
SPARK_SCHEMA = ", ".join(
    ["label string", "score double", *(f"score_{label} double" for label in LABELS), "flags string", "error string"]
)


def _meta(meta: pd.DataFrame) -> pd.DataFrame:
    """The empty frame whose columns and dtypes :func:`score_dataframe` returns for input ``meta``."""
    renamed = meta.rename(columns={c: output_name(c, meta.columns) for c in meta.columns if c in OUTPUT_COLUMNS})
    dtypes: dict[str, Any] = {c: (object if c in ("label", "flags", "error") else "float64") for c in OUTPUT_COLUMNS}
    return renamed.assign(**{c: pd.Series(dtype=d) for c, d in dtypes.items()})


def score_dask(ddf, text_column: str, *, model: Classifier | str | Path | None = None):
    """A lazy Dask DataFrame: ``ddf`` with the scoring columns, computed partition by partition on the workers."""
    check_column(list(ddf.columns), text_column)
    return ddf.map_partitions(score_partition, text_column, model_ref(model), meta=_meta(ddf._meta))


def score_spark(sdf, text_column: str, *, model: Classifier | str | Path | None = None):
    """A Spark DataFrame: ``sdf`` with the scoring columns, computed by a ``pandas_udf`` on the executors.

    Input columns that clash with output names are renamed ``input_<name>``, as in :func:`score_dataframe`.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf

    check_column(list(sdf.columns), text_column)
    ref = model_ref(model)

    @pandas_udf(SPARK_SCHEMA)
    def score(texts: pd.Series) -> pd.DataFrame:
        scored = score_partition(texts.to_frame("text"), "text", ref)
        return scored[OUTPUT_COLUMNS].reset_index(drop=True)

    columns = list(sdf.columns)
    for column in columns:
        if column in OUTPUT_COLUMNS:
            sdf = sdf.withColumnRenamed(column, output_name(column, columns))
    text = output_name(text_column, columns)
    inputs = list(sdf.columns)
    scored = sdf.withColumn("_pilkada_scores", score(F.col(f"`{text}`")))
    return scored.select(*(F.col(f"`{c}`") for c in inputs),
                         *(F.col(f"_pilkada_scores.{c}").alias(c) for c in OUTPUT_COLUMNS))
