"""A fact-check test archive from the shared hoax archives, for ``benchmarks/factcheck.py`` and the stance trainer.

    python -m training.factcheck_archive --data-dir ../shared/datasets --out build/factcheck/archive.csv

One row per fact-check, columns :data:`ARCHIVE_COLUMNS` (what ``pilkada-nlp factcheck build`` reads) plus the
benchmark's own columns: ``origin`` (the dataset folder), ``key`` (the normalised claim, for cross-archive pairs),
``post`` (a post-like text of the claim, when the archive has one) and ``debunk`` (the checker's refutation, when it
has one). The texts are extracted with the source loaders' own functions (``training/sources/``), so the leaks they
strip (verdict tags, debunk text inside claims, checker prose) are stripped here too.

| archive | claim | verdict | url | date | post | debunk |
|---|---|---|---|---|---|---|
| ``turnbackhoax2024_alharkan`` | ``TITLE`` | Salah (all are hoaxes) | (none in the file) | ``DATE`` | narrative of ``HOAX_TEXT`` | debunk left in ``HOAX_TEXT`` |
| ``mafindo_hoax_1k`` | ``title`` | ``status`` | first turnbackhoax.id URL of ``references`` | ``tanggal`` | narrative of ``content`` | ``conclusion`` |
| ``bdc2020_satriadata_hoax`` | ``judul`` | Hoaks / Bukan hoaks (``label``) | (none) | ``tanggal`` | ``narasi`` | - |
| ``pilpres2024_hoax_headlines`` | ``Judul Artikel`` (turnbackhoax.id rows only) | from the URL slug | ``Link`` | from the URL | - | - |

The output holds licensed text: write it outside the repository or under the git-ignored ``build/``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

from pilkada_nlp.text import normalize
from training.sources import bdc2020_satriadata_hoax as bdc
from training.sources import mafindo_hoax_1k as mafindo
from training.sources import pilpres2024_hoax_headlines as pilpres
from training.sources import turnbackhoax2024_alharkan as tbh
from training.sources.common import (
    content_length,
    mask_identifiers,
    normalize_whitespace,
    repair_text,
    strip_verdict_tags,
    strip_wrapping_quotes,
)

ARCHIVE_COLUMNS = ["claim", "verdict", "url", "date", "source", "explanation"]
COLUMNS = ARCHIVE_COLUMNS + ["origin", "key", "post", "debunk"]
_PUNCT = re.compile(r"[^\w\s]")
_TBH_URL = re.compile(r"https?://(?:www\.)?turnbackhoax\.id/\S+")
_ANY_URL = re.compile(r"https?://\S+")
_URL_DATE = re.compile(r"turnbackhoax\.id/(\d{4})/(\d{2})/(\d{2})/")
MIN_POST_CHARS = 20


def claim_key(claim: str) -> str:
    """The normalised claim that pairs the same hoax across archives (normaliser, punctuation removed)."""
    return " ".join(_PUNCT.sub(" ", normalize(claim)).split())


def _clean(text: str) -> str:
    return strip_wrapping_quotes(normalize_whitespace(mask_identifiers(strip_verdict_tags(repair_text(text)))))


def _post(text: str) -> str:
    return text if content_length(text) >= MIN_POST_CHARS else ""


def load_turnbackhoax(data_dir: Path) -> pd.DataFrame:
    frames = [pd.read_csv(Path(data_dir) / f, dtype=str, keep_default_na=False) for f in tbh.FILES]
    df = pd.concat(frames, ignore_index=True)
    return pd.DataFrame({
        "claim": df["TITLE"].map(_clean), "verdict": "Salah", "url": "", "date": df["DATE"],
        "source": "TurnBackHoax (Mafindo) 2024", "explanation": "", "origin": tbh.SOURCE,
        "post": df["HOAX_TEXT"].map(tbh.extract_claim).map(_post),
        "debunk": df["HOAX_TEXT"].map(tbh.extract_debunk).map(lambda t: t if len(t) >= tbh.MIN_DEBUNK_CHARS else ""),
    })


def _reference(refs: str) -> str:
    found = _TBH_URL.search(refs) or _ANY_URL.search(refs)
    return found.group(0).rstrip(".,);") if found else ""


def load_mafindo(data_dir: Path) -> pd.DataFrame:
    df = pd.read_csv(Path(data_dir) / mafindo.FILE, dtype=str, keep_default_na=False)
    posts = df["content"].map(mafindo.extract_claim)
    posts = posts.where(posts.map(lambda claim: mafindo._keep(claim, False)), "")
    debunks = df["conclusion"].map(mafindo.extract_debunk)
    return pd.DataFrame({
        "claim": df["title"].map(_clean), "verdict": df["status"], "url": df["references"].map(_reference),
        "date": df["tanggal"], "source": "Mafindo (TurnBackHoax)", "explanation": debunks, "origin": mafindo.SOURCE,
        "post": posts, "debunk": debunks.map(_post),
    })


def load_bdc(data_dir: Path) -> pd.DataFrame:
    df = pd.read_csv(Path(data_dir) / bdc.FILE, dtype=str, keep_default_na=False)
    titles = df["judul"].map(_clean)
    bodies = df["narasi"].map(lambda t: normalize_whitespace(mask_identifiers(strip_verdict_tags(repair_text(t)))))
    claims = titles.where(titles.map(content_length) >= 10, bodies.str[:200])
    return pd.DataFrame({
        "claim": claims, "verdict": df["label"].map({"1": "Hoaks", "0": "Bukan hoaks"}).fillna(""), "url": "",
        "date": df["tanggal"], "source": "BDC Satria Data 2020", "explanation": "", "origin": bdc.SOURCE,
        "post": bodies.map(_post), "debunk": "",
    })


def _slug_verdict(link: str) -> str:
    label, _ = pilpres._slug_verdict(link)
    match = pilpres._SLUG.search(link)
    word = match.group(1) if match else ""
    if label == "hoax":
        return "Salah"
    if label == "benign":
        return "Benar" if word.startswith("benar") else word.capitalize()
    return "Tidak diketahui"


def load_pilpres_factchecks(data_dir: Path) -> pd.DataFrame:
    df = pd.read_csv(Path(data_dir) / pilpres.FILE, dtype=str, keep_default_na=False)
    df = df[df["Link"].str.contains("turnbackhoax.id", regex=False)].reset_index(drop=True)
    dates = df["Link"].map(lambda link: "-".join(m.groups()) if (m := _URL_DATE.search(link)) else "")
    return pd.DataFrame({
        "claim": df["Judul Artikel"].map(_clean), "verdict": df["Link"].map(_slug_verdict), "url": df["Link"],
        "date": dates, "source": "TurnBackHoax (Pilpres 2024 headlines)", "explanation": "",
        "origin": pilpres.SOURCE, "post": "", "debunk": "",
    })


LOADERS = {tbh.SOURCE: load_turnbackhoax, mafindo.SOURCE: load_mafindo, bdc.SOURCE: load_bdc,
           pilpres.SOURCE: load_pilpres_factchecks}


def load_archive(data_dir: str | Path) -> pd.DataFrame:
    """All four archives as one table (:data:`COLUMNS`), rows with an empty claim dropped (counted by the caller)."""
    frames = [loader(Path(data_dir)) for loader in LOADERS.values()]
    df = pd.concat(frames, ignore_index=True)
    df["key"] = df["claim"].map(claim_key)
    return df[COLUMNS]


def cross_pairs(df: pd.DataFrame) -> pd.DataFrame:
    """Index pairs ``(i, j)`` of rows from different archives with the same ``key`` (one pair per key and archive pair)."""
    rows = []
    keyed = df[df["key"].str.len() >= 10]
    for key, group in keyed.groupby("key", sort=True):
        origins = group.groupby("origin", sort=True).head(1)
        if len(origins) < 2:
            continue
        items = list(origins.itertuples())
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                rows.append({"key": key, "i": items[a].Index, "j": items[b].Index,
                             "origin_i": items[a].origin, "origin_j": items[b].origin})
    return pd.DataFrame(rows, columns=["key", "i", "j", "origin_i", "origin_j"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="../shared/datasets")
    parser.add_argument("--out", required=True, help="archive file (.csv/.jsonl/.parquet); never inside the repo")
    args = parser.parse_args(argv)
    df = load_archive(args.data_dir)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        df.to_parquet(out, index=False)
    elif out.suffix == ".jsonl":
        df.to_json(out, orient="records", lines=True, force_ascii=False)
    else:
        df.to_csv(out, index=False)
    pairs = cross_pairs(df)
    print(f"{len(df):,} fact-checks -> {out}; by archive: {df['origin'].value_counts().to_dict()}")
    print(f"cross-archive pairs: {pairs.groupby(['origin_i', 'origin_j']).size().to_dict()}")
    return 0



#: Split of a claim key: stance training (< 50), threshold tuning / validation (50-64), test (>= 65).
def split_of(key: str) -> str:
    import hashlib

    bucket = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if bucket < 50 else "validation" if bucket < 65 else "test"


if __name__ == "__main__":
    raise SystemExit(main())
