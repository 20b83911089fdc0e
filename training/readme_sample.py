"""Write the README's sample result from what the shipped default model returns, so that it is never hand-copied.

    python -m training.readme_sample          # rewrite the sample lines in README.md
    python -m training.readme_sample --check  # exit 1 when they are stale (tests/test_readme_sample.py runs this)

Run it after retraining the default model. It rewrites only the lines of the README's Python API example that show
a value (``p.label  # 'illegal_campaign'``, ``p.explanation  # (('beras', 0.31), ...)``, ...), found by their start.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pilkada_nlp

README = Path(__file__).resolve().parents[1] / "README.md"
#: The post of the README example: illegal campaigning (goods for votes), with slang the normaliser rewrites.
SAMPLE_TEXT = "Yg mau beras 5kg daftar ke posko, syarat KTP & janji pilih Bu Ratna"
#: The column where the README's ``# value`` comments start.
COMMENT_COLUMN = 27


def _line(code: str, comment: str) -> str:
    return f"{code:<{COMMENT_COLUMN}}# {comment}"


def sample_lines() -> dict[str, str]:
    """README line by its code part (``p.label``, ...), with the shipped default model's value as the comment."""
    p = pilkada_nlp.classify(SAMPLE_TEXT, explain=True)
    scores = "{" + ", ".join(f"{label!r}: {score:.3f}" for label, score in p.scores.items()) + "}"
    explanation = "(" + ", ".join(f"({ngram!r}, {weight:.2f})" for ngram, weight in p.explanation) + ")"
    best = p.to_pipeline(top_k=None)[0]
    return {
        "p.label": _line("p.label", repr(p.label)),
        "p.score": _line("p.score", f"{p.score:.3f}: the probability of that label"),
        "p.scores": _line("p.scores", f"{scores}  (sums to 1)"),
        "p.flags": _line("p.flags", f"{p.flags!r}: every non-benign label over its threshold, strongest first; () "
                                    "means no review needed"),
        "p.explanation": _line("p.explanation", f"{explanation}: the words of the post, as written, that pushed hardest towards the label"),
        "p.to_pipeline()": _line("p.to_pipeline()", f"{{'label': {p.label!r}, 'score': {p.score:.3f}}}  (Hugging "
                                                    "Face pipeline shape)"),
        "p.to_pipeline(top_k=None)": _line("p.to_pipeline(top_k=None)", f"every label, best first: [{{'label': "
                                           f"{best['label']!r}, 'score': {best['score']:.3f}}}, ...]"),
    }


def updated(readme: str, lines: dict[str, str]) -> str:
    """``readme`` with each sample line replaced; ``ValueError`` when one is missing (the example was edited)."""
    out, found = [], set()
    for line in readme.split("\n"):
        code = line.split("#", 1)[0].rstrip()
        if code in lines and code not in found:
            found.add(code)
            line = lines[code]
        out.append(line)
    missing = sorted(set(lines) - found)
    if missing:
        raise ValueError(f"{README.name}: the sample lines {missing} are missing from the Python API example")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.readme_sample", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when the README is stale")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    fresh = updated(readme, sample_lines())
    if args.check:
        if fresh != readme:
            print(f"{README}: the sample result is stale; run python -m training.readme_sample", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    print(f"updated the sample result in {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
