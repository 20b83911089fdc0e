"""One loader per useful dataset in the shared datasets folder, and a registry over them.

Each module ``training/sources/<folder>.py`` exposes ``load(data_dir) -> DataFrame`` with the columns of
:data:`common.COLUMNS`; ``data_dir`` is the folder that holds all dataset folders.

Folders deliberately without a loader:

- ``ibrohim_abusive``: 1,981 of its 2,016 tweets are in ``ibrohim_multilabel_hs``, which has richer labels.
- ``colloquial_indonesian_lexicon``, ``stopwords_id``: preprocessing resources, not posts.

Pool sources (:data:`POOL_SOURCES`) are unlabelled election posts for manual annotation: their ``label`` is None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from . import (
    alfina_idhsd_pilkada_dki2017,
    bdc2020_satriadata_hoax,
    black_campaign_pilpres2024,
    desrul_news_comments_abusive,
    ibrohim_multilabel_hs,
    id_stance_political_blogs,
    mafindo_hoax_1k,
    netifier_toxicity,
    nofaaulia_hsd_facebook,
    pilkada_banten2024_youtube,
    pilkada_jatim2024_tweets,
    pilpres2024_hoax_headlines,
    pratiwi2017_hoax_news,
    turnbackhoax2024_alharkan,
)
from .common import COLUMNS

_MODULES = [
    ibrohim_multilabel_hs,
    alfina_idhsd_pilkada_dki2017,
    netifier_toxicity,
    nofaaulia_hsd_facebook,
    desrul_news_comments_abusive,
    bdc2020_satriadata_hoax,
    turnbackhoax2024_alharkan,
    mafindo_hoax_1k,
    pilpres2024_hoax_headlines,
    pratiwi2017_hoax_news,
    id_stance_political_blogs,
    black_campaign_pilpres2024,
    pilkada_jatim2024_tweets,
    pilkada_banten2024_youtube,
]

#: Dataset folder name -> its loader.
LOADERS: dict[str, Callable[[Path], pd.DataFrame]] = {module.SOURCE: module.load for module in _MODULES}

#: Unlabelled annotation pools (label None); never use their upstream labels as gold.
POOL_SOURCES: frozenset[str] = frozenset(
    {black_campaign_pilpres2024.SOURCE, pilkada_jatim2024_tweets.SOURCE, pilkada_banten2024_youtube.SOURCE}
)


#: Sources of posts written by ordinary users on social media (tweets, comments): the pools and the public
#: hate/abuse corpora, not the hoax archives, news headlines, articles, blogs or authored posts. Their benign posts
#: are what a patrol team reads all day, so thresholds are capped by the false flags they would get.
SOCIAL_MEDIA_SOURCES: frozenset[str] = POOL_SOURCES | {
    ibrohim_multilabel_hs.SOURCE, netifier_toxicity.SOURCE, alfina_idhsd_pilkada_dki2017.SOURCE,
    nofaaulia_hsd_facebook.SOURCE, desrul_news_comments_abusive.SOURCE,
}

#: The real election pool kept wholly out of training and tuning: every post of it is labelled and scored only by the
#: generalisation benchmark (``benchmarks/generalisation.py``), as posts from a platform and region never trained on.
HELDOUT_POOL: str = pilkada_banten2024_youtube.SOURCE


def load_all(data_dir: Path, names: Iterable[str] | None = None) -> pd.DataFrame:
    """Concatenate the loaders in ``names`` (default: all, pools included) with their default options."""
    names = list(LOADERS) if names is None else list(names)
    unknown = [name for name in names if name not in LOADERS]
    if unknown:
        raise KeyError(f"no loader for {unknown}; known: {sorted(LOADERS)}")
    frames = [LOADERS[name](Path(data_dir)) for name in names]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
