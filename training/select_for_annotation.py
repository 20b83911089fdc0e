"""Pick the real election posts that this project labels by hand (issue: corpus & annotation).

Two disjoint sets are drawn from the unlabelled pools, after de-duplicating them by normalised text:

* ``random``: a uniform random slice, never keyword-picked. It is the real-world test set and is kept out of training.
* ``enriched``: posts matched by violation/hate/hoax keyword filters (over-represented on purpose), then a random fill.

The script writes the texts to a scratch folder *outside* the repository (they are licensed and cannot be committed);
only the stand-off labels made from them are committed, in ``data/annotations/``.

    python -m training.select_for_annotation --data-dir ../shared/datasets --out /tmp/annot
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import ftfy
import pandas as pd

from training.sources.common import row_key

POOLS = {
    "pilkada_jatim2024_tweets": ("Data/ReLabeling - Gabungan.csv", "full_text"),
    "pilkada_banten2024_youtube": ("data.csv", "Comment"),
    "black_campaign_pilpres2024": ("data/all-data-cluster.csv", "text"),
}

#: Words that make a post more likely to be a violation, hate speech or hoax. Used only to over-sample.
KEYWORDS = re.compile(
    r"amplop|serangan fajar|\bduit\b|\buang\b|sembako|beras|bagi[- ]?bagi|bansos|\bpkh\b|\bblt\b|\basn\b|\bpns\b|camat|kades|"
    r"kepala desa|lurah|\btni\b|polri|polisi|aparat|masjid|pesantren|gereja|sekolah|kantor|anak[- ]anak|ancam|pecat|hoa[kx]s?|"
    r"\bkpu\b|bawaslu|surat suara|\btps\b|curang|kafir|\bcina\b|china|aseng|\bpki\b|yahudi|kristen|syiah|arab|batak|"
    r"perempuan|wanita|janda|cacat|antek|dibayar|bayaran|nasi bungkus|buzzer|\d+ ?rb\b|ribu|juta|masa tenang|wani piro|"
    r"radikal|intoleran|penista|komunis|pribumi|fitnah|dukung|pilih|coblos",
    re.IGNORECASE,
)


def read_pools(data_dir: Path) -> pd.DataFrame:
    frames = []
    for source, (path, column) in POOLS.items():
        raw = pd.read_csv(data_dir / source / path)[column].dropna().astype(str)
        frames.append(
            pd.DataFrame({"source": source, "row_key": raw.map(row_key), "text": raw.map(ftfy.fix_text)})
        )
    pool = pd.concat(frames, ignore_index=True)
    squeezed = pool["text"].str.lower().str.replace(r"https?://\S+|@\w+|\W+", " ", regex=True).str.split().str.join(" ")
    return pool.loc[~squeezed.duplicated()].reset_index(drop=True)


def select(pool: pd.DataFrame, n_random: int, n_enriched: int, seed: int) -> pd.DataFrame:
    random_slice = pool.sample(n=n_random, random_state=seed)
    rest = pool.drop(random_slice.index)
    hits = rest[rest["text"].str.contains(KEYWORDS)]
    # Keyword hits first, capped per source so one pool's style doesn't dominate, then a random fill.
    per_source = n_enriched // len(POOLS)
    picked = hits.sample(frac=1.0, random_state=seed).groupby("source").head(per_source)
    fill = rest.drop(picked.index).sample(n=max(0, n_enriched - len(picked)), random_state=seed)
    enriched = pd.concat([picked, fill])
    return pd.concat([random_slice.assign(selection="random"), enriched.assign(selection="enriched")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, required=True, help="scratch folder outside the repository")
    parser.add_argument("--n-random", type=int, default=700)
    parser.add_argument("--n-enriched", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    chosen = select(read_pools(args.data_dir), args.n_random, args.n_enriched, args.seed)
    chosen = chosen.sample(frac=1.0, random_state=args.seed)  # annotators must not see which set a row came from
    args.out.mkdir(parents=True, exist_ok=True)
    chosen.to_csv(args.out / "selection.csv", index=False)
    print(chosen.groupby(["selection", "source"]).size())


if __name__ == "__main__":
    main()
