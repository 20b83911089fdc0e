"""Surface matching for authored posts: give them the links, mentions and hashtags that real posts carry.

Authored posts were written as plain text; real election posts are full of ``@USER`` replies, ``HTTPURL`` links and
campaign hashtags. Left alone, that difference is a shortcut: "has a link" would mean "real, so probably benign".
This step adds those surface elements to authored posts at the rates measured on real annotated training posts,
so the surface no longer tells authored from real (``authored_vs_real_surface_auc`` in corpus_stats.json reports it
before and after). It never changes the words of the post.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Generic election hashtags written for this project (no candidate or party names).
HASHTAGS = (
    "#Pilkada2024", "#PilkadaSerentak2024", "#PilkadaDamai", "#Pemilu2024", "#PilkadaSerentak", "#Pilgub2024",
    "#Pilbup2024", "#Pilwalkot2024", "#PemiluDamai", "#SuaraRakyat", "#Demokrasi", "#KawalPilkada", "#InfoPilkada",
)


def surface_rates(real_texts: pd.Series) -> dict[str, float]:
    """Share of real posts that start with a mention, contain a link, contain a hashtag."""
    t = real_texts.astype(str)
    return {
        "mention": float(t.str.match(r"\s*@USER").mean()),
        "link": float(t.str.contains("HTTPURL").mean()),
        "hashtag": float(t.str.contains(r"#\w").mean()),
    }


def match_surface(texts: pd.Series, rates: dict[str, float], seed: int) -> pd.Series:
    """Add mentions, links and hashtags to ``texts`` at ``rates`` (deterministic for ``seed``)."""
    rng = np.random.default_rng(seed)
    out = []
    for text in texts.astype(str):
        if rng.random() < rates["mention"] and not text.lstrip().startswith("@"):
            text = " ".join(["@USER"] * int(rng.integers(1, 4))) + " " + text
        if rng.random() < rates["hashtag"] and "#" not in text:
            text = text + " " + " ".join(rng.choice(HASHTAGS, size=int(rng.integers(1, 4)), replace=False))
        if rng.random() < rates["link"] and "HTTPURL" not in text:
            text = text + " HTTPURL"
        out.append(text)
    return pd.Series(out, index=texts.index)
