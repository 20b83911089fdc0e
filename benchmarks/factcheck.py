"""Fact-check lookup (issue 12): retrieval on naturally paired data, stance, the effect on ``hoax``, speed at 50,000.

    python benchmarks/factcheck.py                       # everything, ~20 min on 2 busy cores (e5 encodes ~12k texts)
    python benchmarks/factcheck.py --quick               # a small slice of every section, ~2 min
    python benchmarks/factcheck.py --section scale       # only the 50,000-entry build / match / memory measurement

Sections:

1. **Paired retrieval.** The same hoax recorded in two archives (:func:`training.factcheck_archive.cross_pairs`: equal
   normalised claims across TurnBackHoax 2024, Mafindo, BDC 2020 and the Pilpres-2024 fact-check rows). One side's
   post-like text (TurnBackHoax narrative, BDC ``narasi``, Mafindo post) is the query; the other side's record is in
   the index, and the query side's own record is not. Variants of each query: ``natural``, ``paraphrased``
   (:func:`training.stance_templates.paraphrase`: synonyms and slang, dropped function words, clause order, a
   framing) and ``truncated`` (first half of the words). Success@1, Success@10 and MAP@5 for lexical (FTS5 BM25)
   alone, dense (e5) alone and fused (RRF). Relevant = every index record with the pair's claim key.
2. **Stance** on held-out pairs (test claims x held-out templates, and the archives' own test posts and debunks).
3. **Effect on ``hoax``.** Posts of the pairs' query side, split by claim (:func:`training.factcheck_archive.split_of`):
   the posts themselves (gold: hoax when their archive's verdict is false) and the checkers' debunks of them plus
   authored debunks (held-out templates; gold: not hoax). Posts the shipped model was trained on (normalised text in
   the corpus's train or validation split) are left out. Thresholds are tuned on the validation claims, stored in the
   index, and the test claims are reported: hoax recall and false ``hoax`` flags with and without the index.
4. **Scale.** 50,000 synthetic (fictional, template-made) fact-checks: e5 encoding rate measured on ``--scale-encode``
   of them, the storage side (normalise, SQLite FTS5, vectors, checksums) of all 50,000 timed with stand-in vectors,
   then match latency (real e5 query encoding + FTS5 + dense + similarity + stance) and peak memory at 50,000.

Writes ``benchmarks/factcheck.json`` (or ``--out``) and prints Markdown for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO, provenance, table
from pilkada_nlp.factcheck import FactCheckIndex, load_index, stance
from pilkada_nlp.factcheck.archive import verdict_class
from pilkada_nlp.factcheck.encoders import E5Encoder
from pilkada_nlp.factcheck.integrate import HOAX, decide, tune_thresholds
from pilkada_nlp.text import normalize
from training import stance_templates
from training.factcheck_archive import ARCHIVE_COLUMNS, claim_key, cross_pairs, load_archive, split_of

#: Which side of a pair is the query (the first with a post-like text, in this order).
QUERY_PREFERENCE = ["turnbackhoax2024_alharkan", "bdc2020_satriadata_hoax", "mafindo_hoax_1k",
                    "pilpres2024_hoax_headlines"]
VARIANTS = ("natural", "paraphrased", "truncated")
MODES = ("lexical", "dense", "fused-rrf", "fused")
#: A query "contains the claim" when at least this share of the claim key's words (3+ letters) is in the post.
CONTAINS_SHARE = 0.3


class CachingEncoder:
    """E5 with an in-memory cache of query vectors, so the three retrieval modes encode each query once."""

    def __init__(self) -> None:
        self.inner = E5Encoder()
        self.name, self.dim, self.dense_floor = self.inner.name, self.inner.dim, self.inner.dense_floor
        self.version = self.inner.version
        self.cache: dict[str, np.ndarray] = {}
        self.encoded = 0

    def queries(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            for text, vector in zip(todo, self.inner.queries(todo)):
                self.cache[text] = vector
            self.encoded += len(todo)
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.passages(texts)


# --- 1. paired retrieval -------------------------------------------------------------------------------------------

def paired_setup(df: pd.DataFrame, quick: bool) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(queries, index rows, counts): one query per pair, from the preferred side that has a post."""
    pairs = cross_pairs(df)
    rank = {origin: i for i, origin in enumerate(QUERY_PREFERENCE)}
    queries, skipped = [], 0
    for p in pairs.itertuples():
        sides = sorted([(p.i, p.origin_i), (p.j, p.origin_j)], key=lambda s: rank[s[1]])
        query = next((s for s in sides if df.at[s[0], "post"]), None)
        if query is None:
            skipped += 1
            continue
        target = sides[1] if query == sides[0] else sides[0]
        queries.append({"key": p.key, "row": query[0], "origin": query[1], "target_origin": target[1],
                        "post": df.at[query[0], "post"], "verdict": df.at[query[0], "verdict"],
                        "debunk": df.at[query[0], "debunk"], "claim": df.at[query[0], "claim"]})
    queries = pd.DataFrame(queries).drop_duplicates("row").reset_index(drop=True)
    if quick:
        queries = queries.sample(min(60, len(queries)), random_state=0).reset_index(drop=True)
    index_rows = df.drop(index=queries["row"]).reset_index(drop=True)
    if quick:
        keys = set(queries["key"])
        others = index_rows[~index_rows["key"].isin(keys)]
        index_rows = pd.concat([index_rows[index_rows["key"].isin(keys)],
                                others.sample(min(500, len(others)), random_state=0)])
        index_rows = index_rows.reset_index(drop=True)
    return queries, index_rows, {"pairs": len(pairs), "pairs_without_post": skipped}


def attach_relevant(queries: pd.DataFrame, index: FactCheckIndex, counts: dict) -> pd.DataFrame:
    """Relevant ids of each query: every index record with its claim key (ids as the index assigned them)."""
    by_key: dict[str, set[int]] = {}
    for id_, record in index.records():
        by_key.setdefault(claim_key(record.claim), set()).add(id_)
    queries = queries.assign(relevant=queries["key"].map(lambda key: by_key.get(key, set())))
    counts["queries_without_relevant"] = int((queries["relevant"].map(len) == 0).sum())
    queries = queries[queries["relevant"].map(len) > 0].reset_index(drop=True)
    counts["queries"] = len(queries)
    queries["contains_claim"] = [contains_claim(p, k) for p, k in zip(queries["post"], queries["key"])]
    counts["queries_containing_claim"] = int(queries["contains_claim"].sum())
    return queries


def build_or_reuse(index_rows: pd.DataFrame, path: Path, encoder) -> tuple[FactCheckIndex, dict]:
    """The benchmark index, rebuilt only when its rows changed (its e5 build is the slow step)."""
    digest = hashlib.sha256(index_rows[ARCHIVE_COLUMNS].to_csv(index=False).encode()).hexdigest()
    stamp = path.with_suffix(".rows.sha256")
    if path.is_dir() and stamp.is_file() and stamp.read_text().strip() == digest:
        return load_index(path, writable=True, encoder=encoder), {"reused": True}
    started = time.perf_counter()
    index = FactCheckIndex.build(index_rows[ARCHIVE_COLUMNS], path, encoder=encoder, overwrite=True)
    took = time.perf_counter() - started
    stamp.write_text(digest)
    return index, {"reused": False, "seconds": round(took, 1), "entries": len(index),
                   "summary": index.build_summary.to_dict()}


def ranking_metrics(results: list[list[int]], relevant: list[set[int]]) -> dict:
    s1 = s10 = ap = 0.0
    for ids, rel in zip(results, relevant):
        s1 += bool(ids[:1]) and ids[0] in rel
        s10 += any(i in rel for i in ids[:10])
        hits, total = 0, 0.0
        for rank, i in enumerate(ids[:5], 1):
            if i in rel:
                hits += 1
                total += hits / rank
        ap += total / min(len(rel), 5)
    n = len(results) or 1
    return {"success@1": round(s1 / n, 4), "success@10": round(s10 / n, 4), "map@5": round(ap / n, 4)}


def retrieval(index: FactCheckIndex, queries: pd.DataFrame) -> dict:
    texts = {"natural": queries["post"].tolist(),
             "paraphrased": queries["post"].map(stance_templates.paraphrase).tolist(),
             "truncated": queries["post"].map(stance_templates.truncate).tolist()}
    out: dict = {}
    for variant in VARIANTS:
        for mode in MODES:
            started = time.perf_counter()
            if mode == "fused-rrf":
                results = index.match(texts[variant], k=10, mode="fused", rerank=False, stance=False)
            else:
                results = index.match(texts[variant], k=10, mode=mode, stance=False)
            ids = [[m.id for m in matches] for matches in results]
            out[f"{variant}/{mode}"] = {**ranking_metrics(ids, queries["relevant"].tolist()),
                                        "seconds": round(time.perf_counter() - started, 1)}
            by_pair = {}
            for (origin, target), group in queries.groupby(["origin", "target_origin"]):
                by_pair[f"{origin} -> {target}"] = {
                    "n": len(group), **ranking_metrics([ids[i] for i in group.index], group["relevant"].tolist())}
            out[f"{variant}/{mode}"]["by_archive_pair"] = by_pair
            contains = queries["contains_claim"].to_numpy()
            for name, mask in (("contains_claim", contains), ("not_contains_claim", ~contains)):
                picked = np.where(mask)[0]
                out[f"{variant}/{mode}"][name] = {
                    "n": len(picked), **ranking_metrics([ids[i] for i in picked], [queries["relevant"][i] for i in picked])}
    return out


def contains_claim(post: str, key: str) -> bool:
    words = set(re.findall(r"\w{3,}", key))
    return len(words & set(re.findall(r"\w{3,}", normalize(post)))) >= CONTAINS_SHARE * max(1, len(words))


# --- 2. stance -----------------------------------------------------------------------------------------------------

def stance_section(df: pd.DataFrame) -> dict:
    from training.train_stance import evaluate, pairs

    test = pairs(df, "test", stance_templates.HELDOUT)
    return {"heldout": evaluate(test), "model": json.loads(stance.MODEL_MANIFEST.read_text())["C"]}


# --- 3. effect on the hoax label -----------------------------------------------------------------------------------

def seen_texts(corpus: Path) -> set[str] | None:
    frames = [pd.read_parquet(corpus / f"{split}.parquet", columns=["text"]) for split in ("train", "validation")
              if (corpus / f"{split}.parquet").is_file()]
    return None if not frames else {normalize(t) for frame in frames for t in frame["text"]}


def effect_posts(queries: pd.DataFrame, seen: set[str] | None) -> tuple[pd.DataFrame, dict]:
    rows = []
    for q in queries.itertuples():
        split = split_of(q.key)
        rows.append({"text": q.post, "kind": "post", "is_hoax": verdict_class(q.verdict) == "false", "split": split})
        if q.debunk:
            rows.append({"text": q.debunk, "kind": "archive debunk", "is_hoax": False, "split": split})
        template = stance_templates.HELDOUT["debunks"][hash_index(q.key, len(stance_templates.HELDOUT["debunks"]))]
        rows.append({"text": stance_templates.apply(template, stance_templates.truncate(q.post, 0.5, 8)),
                     "kind": "authored debunk", "is_hoax": False, "split": split})
    posts = pd.DataFrame(rows)
    counts = {"posts": len(posts)}
    if seen is not None:
        trained = posts["text"].map(lambda t: normalize(t) in seen)
        counts["left_out_seen_in_training"] = int(trained.sum())
        posts = posts[~trained].reset_index(drop=True)
    return posts, counts


def hash_index(text: str, n: int) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % n


def effect(index: FactCheckIndex, posts: pd.DataFrame) -> dict:
    from pilkada_nlp import load_model

    model = load_model()
    predictions = model.classify(posts["text"].tolist())
    matches = index.match(posts["text"].tolist(), k=5)
    flags = [p.flags for p in predictions]
    scores = [p.scores for p in predictions]
    val = (posts["split"] == "validation").to_numpy()
    tuned = tune_thresholds([f for f, v in zip(flags, val) if v], [s for s, v in zip(scores, val) if v],
                            [m for m, v in zip(matches, val) if v], posts.loc[val, "is_hoax"].tolist())
    index.set_thresholds(tuned)
    after = [decide(f, s, m, index.thresholds) for f, s, m in zip(flags, scores, matches)]
    report = {"thresholds": tuned}
    test = posts["split"] == "test"
    for name, mask in (("test", test), ("validation", posts["split"] == "validation")):
        part = posts[mask]
        section = {}
        for kind, group in part.groupby("kind"):
            gold = group["is_hoax"]
            for subset, rows in (("hoax", group[gold]), ("not hoax", group[~gold])):
                if rows.empty:
                    continue
                before = np.mean([HOAX in flags[i] for i in rows.index])
                with_index = np.mean([HOAX in after[i] for i in rows.index])
                section[f"{kind} ({subset})"] = {"n": len(rows), "hoax_flagged_without_index": round(float(before), 4),
                                                 "hoax_flagged_with_index": round(float(with_index), 4)}
        report[name] = section
    top = [deciding(m) for m in matches]
    debunk_rows = posts[test & posts["kind"].ne("post")].index
    report["stance_of_top_match_on_test_debunks"] = pd.Series([top[i] for i in debunk_rows]).value_counts().to_dict()
    return report


def deciding(matches) -> str:
    false = [m for m in matches if m.verdict_class == "false"]
    return max(false, key=lambda m: m.similarity).stance if false else "no false-verdict match"


# --- 4. scale ------------------------------------------------------------------------------------------------------

PLACES = ["Kabupaten Sukamaju", "Kota Lembahhijau", "Desa Karangasri", "Kecamatan Batuputih", "Pulau Serindit",
          "Kota Tanjungembun", "Kabupaten Rawajati", "Desa Cibulan Wetan", "Kota Pasirlaut", "Kabupaten Gunungsepi"]
ACTORS = ["calon bupati nomor 1", "paslon nomor 2", "tim sukses kandidat A", "petugas KPPS", "ketua RT", "Bawaslu",
          "KPU daerah", "kepala desa", "relawan pasangan B", "camat"]
EVENTS = ["membagikan amplop berisi uang", "membakar kotak suara", "mengganti hasil rekapitulasi",
          "menahan undangan memilih", "mencoblos surat suara sisa", "menculik saksi", "membagikan sembako bergambar",
          "menghapus nama pemilih", "memalsukan formulir C1", "mengerahkan massa bayaran"]
WHEN = ["saat masa tenang", "pada malam sebelum pencoblosan", "di hari pemungutan suara", "seminggu sebelum debat",
        "setelah rapat pleno", "menjelang subuh"]


SYLLABLES = ["ka", "lu", "ma", "ri", "so", "ten", "ba", "gi", "ran", "du", "wi", "jo", "pe", "sar", "ni", "tu"]


def _name(rng: np.random.Generator) -> str:
    return "".join(rng.choice(SYLLABLES, rng.integers(2, 4))).capitalize()


def synthetic_claims(n: int) -> list[dict]:
    """``n`` fictional fact-checks made from templates and made-up names (no real text)."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        claim = (f"{ACTORS[rng.integers(10)]} {_name(rng)} {EVENTS[rng.integers(10)]} di {PLACES[rng.integers(10)]} "
                 f"{_name(rng)} {WHEN[rng.integers(6)]} (kasus {i})")
        out.append({"claim": claim, "verdict": "Salah", "url": f"https://cekfakta.example/{i}", "date": "2024-11-20",
                    "source": "sintetis", "explanation": ""})
    return out


class PoolEncoder:
    """Stand-in passage vectors for the storage timing: real e5 vectors of a sample, reused in turn (+ noise)."""

    def __init__(self, pool: np.ndarray, query_encoder: E5Encoder) -> None:
        self.pool, self.query_encoder = pool, query_encoder
        self.name, self.dim, self.dense_floor, self.version = query_encoder.name, 384, 0.75, query_encoder.version
        self.offset, self.rng = 0, np.random.default_rng(0)

    def passages(self, texts: list[str]) -> np.ndarray:
        idx = (np.arange(len(texts)) + self.offset) % len(self.pool)
        self.offset += len(texts)
        out = self.pool[idx] + self.rng.normal(0, 0.01, (len(texts), self.dim)).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.query_encoder.queries(texts)


def scale(work: Path, entries: int, encode_sample: int, n_queries: int) -> dict:
    import psutil

    process = psutil.Process()
    rss0 = process.memory_info().rss
    records = synthetic_claims(entries)
    encoder = E5Encoder()
    sample = [r["claim"] for r in records[:: max(1, entries // encode_sample)][:encode_sample]]
    started = time.perf_counter()
    pool = np.concatenate([encoder.passages(sample[i : i + 64]) for i in range(0, len(sample), 64)])
    encode_rate = len(sample) / (time.perf_counter() - started)
    path = work / "scale-index"
    started = time.perf_counter()
    index = FactCheckIndex.build(records, path, encoder=PoolEncoder(pool, encoder), overwrite=True)
    storage_seconds = time.perf_counter() - started
    index.close()
    started = time.perf_counter()
    index = load_index(path, encoder=PoolEncoder(pool, encoder))
    open_seconds = time.perf_counter() - started
    rss_open = process.memory_info().rss
    rng = np.random.default_rng(1)
    picks = rng.choice(entries, n_queries, replace=False)
    posts = [f"Sebarkan! {stance_templates.truncate(records[i]['claim'], 0.7, 6)}" for i in picks]
    index.match(posts[:2], k=5)  # warm up
    latencies = []
    for post in posts:
        t = time.perf_counter()
        index.match(post, k=5)
        latencies.append(time.perf_counter() - t)
    t = time.perf_counter()
    index.match(posts, k=5)
    batch_ms = (time.perf_counter() - t) / len(posts) * 1000
    t = time.perf_counter()
    for post in posts:
        encoder.queries([post])
    encode_ms = (time.perf_counter() - t) / len(posts) * 1000
    t = time.perf_counter()
    for post in posts:
        index.match(post, k=5, mode="lexical", stance=False)
    lexical_ms = (time.perf_counter() - t) / len(posts) * 1000
    size = sum(f.stat().st_size for f in path.iterdir())
    return {
        "entries": entries, "e5_passages_per_s": round(encode_rate, 1), "e5_sample": len(sample),
        "storage_seconds": round(storage_seconds, 1),
        "estimated_build_seconds": round(storage_seconds + entries / encode_rate, 0),
        "open_seconds": round(open_seconds, 2), "index_mb_on_disk": round(size / 2**20, 1),
        "match_ms_p50": round(float(np.percentile(latencies, 50)) * 1000, 1),
        "match_ms_p95": round(float(np.percentile(latencies, 95)) * 1000, 1),
        "match_ms_per_post_batched": round(batch_ms, 1), "queries": n_queries,
        "e5_query_encode_ms": round(encode_ms, 1), "lexical_only_match_ms": round(lexical_ms, 1),
        "rss_mb_before": round(rss0 / 2**20), "rss_mb_index_open": round(rss_open / 2**20),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


# --- report --------------------------------------------------------------------------------------------------------

def markdown(report: dict) -> str:
    lines = [provenance("Fact-check lookup (issue 12)")]
    if "retrieval" in report:
        c = report["paired_counts"]
        lines += [(f"Paired benchmark: {c['pairs']} cross-archive pairs, {c['pairs_without_post']} without a post-like "
                   f"side, {c['queries']} queries; index of {report['index'].get('entries', '?')} fact-checks "
                   f"(the queries' own records left out)."), ""]
        names = {"lexical": "lexical (FTS5 BM25)", "dense": "dense (e5)", "fused-rrf": "fused (RRF order)",
                 "fused": "fused (RRF, re-ranked by similarity; default)"}
        rows = [[variant, names[mode], *(report["retrieval"][f"{variant}/{mode}"][m]
                                         for m in ("success@1", "success@10", "map@5"))]
                for variant in VARIANTS for mode in MODES]
        lines += [table(["query", "retrieval", "Success@1", "Success@10", "MAP@5"], rows), ""]
        natural = report["retrieval"]["natural/fused"]
        lines += [(f"By whether the post contains the claim (>= {CONTAINS_SHARE:.0%} of the claim's words; the others "
                   "are mostly posts whose claim is in an image or video), fused, natural queries:"), "",
                  table(["queries", "n", "Success@1", "Success@10", "MAP@5"],
                        [[name, natural[name]["n"], natural[name]["success@1"], natural[name]["success@10"],
                          natural[name]["map@5"]] for name in ("contains_claim", "not_contains_claim")]), ""]
        by = report["retrieval"]["natural/fused"]["by_archive_pair"]
        lines += ["Fused, natural queries, by archive pair:", "",
                  table(["query -> index", "n", "Success@1", "Success@10", "MAP@5"],
                        [[k, v["n"], v["success@1"], v["success@10"], v["map@5"]] for k, v in by.items()]), ""]
    if "stance" in report:
        s = report["stance"]["heldout"]
        lines += [(f"Stance, held-out claims (held-out templates for authored pairs; C={report['stance']['model']}): "
                   f"accuracy {s['accuracy']} (n={s['n']}); authored {s['accuracy_authored']} (n={s['n_authored']}), "
                   f"archive {s['accuracy_archive']} (n={s['n_archive']}); recall asserts {s['recall_asserts']}, "
                   f"questions {s['recall_questions']}, debunks {s['recall_debunks']}."), ""]
    if "effect" in report:
        e = report["effect"]
        th = e["thresholds"]
        lines += [(f"Effect on `hoax` (default model; thresholds tuned on validation claims: assert >= "
                   f"{th['assert_similarity']}, debunk >= {th['debunk_similarity']}; "
                   f"{report['effect_counts'].get('left_out_seen_in_training', 0)} posts left out as seen in training):"),
                  "", table(["test posts", "n", "flagged hoax without index", "with index"],
                            [[k, v["n"], v["hoax_flagged_without_index"], v["hoax_flagged_with_index"]]
                             for k, v in e["test"].items()]), "",
                  f"Stance of the deciding match on test debunk posts: {e['stance_of_top_match_on_test_debunks']}", ""]
    if "scale" in report:
        s = report["scale"]
        lines += [table(["at 50,000 entries", "value"], [
            ["e5 passage encoding (1 thread)", f"{s['e5_passages_per_s']} entries/s (on {s['e5_sample']})"],
            ["storage side of the build (normalise, FTS5, vectors, sha256)", f"{s['storage_seconds']} s"],
            ["build estimate (storage + e5 at the measured rate)", f"{s['estimated_build_seconds']:.0f} s"],
            ["open (checksums, vectors)", f"{s['open_seconds']} s"],
            ["index size on disk", f"{s['index_mb_on_disk']} MB"],
            ["match, one post per call (p50 / p95)", f"{s['match_ms_p50']} / {s['match_ms_p95']} ms"],
            ["match, batched, per post", f"{s['match_ms_per_post_batched']} ms"],
            ["of which: e5 query encoding, per post", f"{s['e5_query_encode_ms']} ms"],
            ["lexical-only match (FTS5 BM25 + similarity; no e5, no stance), per post",
             f"{s['lexical_only_match_ms']} ms"],
            ["fused match without the e5 query encoding, per post (p50 - encoding)",
             f"{round(s['match_ms_p50'] - s['e5_query_encode_ms'], 1)} ms"],
            ["peak RSS of the process", f"{s['peak_rss_mb']} MB (index open: {s['rss_mb_index_open']} MB)"],
        ]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--corpus", type=Path, default=REPO / "data" / "processed",
                        help="the shipped model's corpus: posts in its train/validation are left out of section 3")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "factcheck")
    parser.add_argument("--section", choices=("all", "paired", "scale"), default="all")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--scale-entries", type=int, default=50_000)
    parser.add_argument("--scale-encode", type=int, default=1000, help="entries encoded with e5 for the build rate")
    parser.add_argument("--scale-queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "factcheck.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    args.work.mkdir(parents=True, exist_ok=True)
    report: dict = {}
    if args.section in ("all", "paired"):
        df = load_archive(args.data_dir)
        queries, index_rows, report["paired_counts"] = paired_setup(df, args.quick)
        encoder = CachingEncoder()
        index, report["index"] = build_or_reuse(index_rows, args.work / ("paired-quick" if args.quick else "paired"),
                                                encoder)
        report["index"]["entries"] = len(index)
        queries = attach_relevant(queries, index, report["paired_counts"])
        report["retrieval"] = retrieval(index, queries)
        report["stance"] = stance_section(df)
        posts, report["effect_counts"] = effect_posts(queries, seen_texts(args.corpus))
        report["effect"] = effect(index, posts)
    if args.section in ("all", "scale"):
        if args.section == "all":  # own process: its peak memory is the index's, not the paired section's
            command = [sys.executable, __file__, "--section", "scale", "--work", str(args.work), "--out",
                       str(args.work / "scale.json"), "--scale-entries", str(args.scale_entries),
                       "--scale-encode", str(args.scale_encode), "--scale-queries", str(args.scale_queries)]
            if args.quick:
                command += ["--scale-entries", "2000", "--scale-encode", "100", "--scale-queries", "20"]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            report["scale"] = json.loads((args.work / "scale.json").read_text())["scale"]
        else:
            report["scale"] = scale(args.work, args.scale_entries, args.scale_encode, args.scale_queries)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(markdown(report))
    shutil.rmtree(args.work / "scale-index", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
