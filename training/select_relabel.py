"""Pick the posts for the two annotation jobs of the generalisation work (issue: generalise beyond the sources).

* ``heldout``: every post of the held-out pool (:data:`training.sources.HELDOUT_POOL`) that has no label yet, so that
  the whole pool ends up labelled (a census, not a sample: its metrics need no selection weights). A seeded random
  subset is marked for a second, independent pass.
* ``public``: a stratified sample of the public hate/benign sources (by source and by the label the loader's mapping
  gives), to be relabelled with the project's guidelines. The mapped label is written to a separate key file that the
  annotators never see, so the passes are blind to it.

Texts go to a scratch folder outside the repository (they are licensed); only stand-off labels made from them are
committed, in ``data/annotations/``.

    python -m training.select_relabel --data-dir ../shared/datasets --out /tmp/annot
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from pilkada_nlp.text import normalize
from training.project_data import read_annotations
from training.sources import HELDOUT_POOL, LOADERS

#: Posts per (public source, mapped label) drawn for relabelling.
PUBLIC_SAMPLE = {
    "ibrohim_multilabel_hs": {"hate_speech": 200, "benign": 200},
    "netifier_toxicity": {"hate_speech": 150, "benign": 150},
    "alfina_idhsd_pilkada_dki2017": {"hate_speech": 125, "benign": 125},
    "desrul_news_comments_abusive": {"benign": 150},
    "nofaaulia_hsd_facebook": {"hate_speech": 50, "benign": 50},
}
#: Second round (after the first showed that only 4-41 % of mapped hate rows are hate under the guidelines): more
#: mapped-hate rows only, drawn from the rows the first round did not take.
PUBLIC_SAMPLE_ROUND_2 = {
    "ibrohim_multilabel_hs": {"hate_speech": 700},
    "netifier_toxicity": {"hate_speech": 600},
    "alfina_idhsd_pilkada_dki2017": {"hate_speech": 200},
}
BATCH = 100


def heldout_selection(data_dir: Path, seed: int, n_second_pass: int) -> pd.DataFrame:
    pool = LOADERS[HELDOUT_POOL](data_dir)
    labelled = read_annotations()
    done = set(labelled.loc[labelled["source"] == HELDOUT_POOL, "row_key"])
    pool = pool[~pool["row_key"].isin(done)].drop_duplicates("row_key")
    pool = pool[pool["text"].map(normalize).str.strip() != ""]
    pool = pool.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    pool["second_pass"] = False
    pool.loc[: n_second_pass - 1, "second_pass"] = True
    return pool[["source", "row_key", "text", "second_pass"]]


def public_selection(data_dir: Path, seed: int, sample: dict = PUBLIC_SAMPLE,
                     exclude: pd.DataFrame | None = None) -> pd.DataFrame:
    frames = []
    taken = set() if exclude is None else set(zip(exclude["source"], exclude["row_key"]))
    for source, per_label in sample.items():
        rows = LOADERS[source](data_dir).drop_duplicates("row_key")
        rows = rows[[(source, key) not in taken for key in rows["row_key"]]]
        for label, n in per_label.items():
            part = rows[rows["label"] == label]
            frames.append(part.sample(n=min(n, len(part)), random_state=seed))
    chosen = pd.concat(frames).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return chosen.rename(columns={"label": "mapped_label"})[["source", "row_key", "text", "mapped_label"]]


def write_batches(frame: pd.DataFrame, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for i, start in enumerate(range(0, len(frame), BATCH)):
        frame.iloc[start : start + BATCH][["source", "row_key", "text"]].to_csv(out / f"batch_{i:02d}.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, required=True, help="scratch folder outside the repository")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--second-pass", type=int, default=300, help="held-out posts labelled twice")
    args = parser.parse_args()
    heldout = heldout_selection(args.data_dir, args.seed, args.second_pass)
    write_batches(heldout, args.out / "heldout_pass1")
    write_batches(heldout[heldout["second_pass"]], args.out / "heldout_pass2")
    public = public_selection(args.data_dir, args.seed)
    write_batches(public, args.out / "public")
    round_2 = public_selection(args.data_dir, args.seed, PUBLIC_SAMPLE_ROUND_2, exclude=public)
    write_batches(round_2, args.out / "public_round2")
    write_batches(round_2.head(400), args.out / "public_round2_pass2")
    mapped = pd.concat([public, round_2])[["source", "row_key", "mapped_label"]]
    mapped.to_csv(args.out / "public_mapped_labels.csv", index=False)
    print(f"held-out pool {HELDOUT_POOL}: {len(heldout)} unlabelled posts ({heldout['second_pass'].sum()} twice)")
    print(public.groupby(["source", "mapped_label"]).size())
    print("round 2:", round_2.groupby(["source", "mapped_label"]).size().to_dict())


if __name__ == "__main__":
    main()
