"""Fact-check lookup: match posts to known debunks, and let a match decide ``hoax``.

    >>> from pilkada_nlp.factcheck import FactCheckIndex, load_index
    >>> index = FactCheckIndex.build("archive.csv", "build/factcheck")      # doctest: +SKIP
    >>> load_index("build/factcheck").match("Kotak suara dibakar di Sampang", k=3)  # doctest: +SKIP
    [Match(id=12, claim='...', verdict='Salah', url='https://...', similarity=0.83, stance='asserts', ...), ...]
    >>> pilkada_nlp.classify(posts, factcheck=index)                         # doctest: +SKIP

Modules: :mod:`.archive` (reading and checking archives), :mod:`.store` (the on-disk format), :mod:`.index`
(building and matching), :mod:`.encoders` (dense encoders), :mod:`.stance` (asserts / questions / debunks),
:mod:`.integrate` (how a match changes a prediction).
"""

from __future__ import annotations

from pilkada_nlp.factcheck.archive import ArchiveError, ReadSummary, Record, read_archive
from pilkada_nlp.factcheck.index import FactCheckIndex, Match, load_index
from pilkada_nlp.factcheck.stance import STANCES, predict_stance
from pilkada_nlp.factcheck.store import IndexFileError

__all__ = [
           "STANCES",
           "ArchiveError",
           "FactCheckIndex",
           "IndexFileError",
           "Match",
           "ReadSummary",
           "Record",
           "load_index",
           "predict_stance",
           "read_archive",
]
