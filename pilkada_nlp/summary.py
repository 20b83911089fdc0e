"""What a scoring run found: counts and shares per label, the most confident flagged posts, and score histograms.

A :class:`Summary` is filled chunk by chunk (:meth:`Summary.add`), so it takes the same memory for any file size, and
it round-trips through JSON (:meth:`Summary.to_dict` / :meth:`Summary.from_dict`), which lets an interrupted run
resume with it. Every row lands in exactly one bucket: one of the four labels, or ``error`` (not scored), so the
counts always add up to the number of rows.

Reports: :meth:`Summary.to_text` (printed at the end of ``pilkada-nlp score``) and :meth:`Summary.write` (``.json``, or
``.html`` with matplotlib charts embedded as PNG).
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pilkada_nlp.labels import BENIGN, FLAG_LABELS, LABELS

#: Histogram bins over [0, 1] for each label's score.
BINS = 20
#: Characters of a post kept in the top-N list.
EXCERPT = 200
_SPARK = " ▁▂▃▄▅▆▇█"
#: What a terminal may act on instead of showing: C0 and C1 controls (ESC, CSI...), DEL, bidirectional overrides
#: (which reorder what is shown) and lone surrogates (which can't even be printed).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    """``text`` with every character a terminal could act on shown as an escape (``\\x1b``, ``\\u202e``), so a post
    can't move the cursor, recolour, retitle or rewrite the screen when it is printed."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)
LABELS_SIZE = (7, 2.6)
HISTOGRAM_SIZE = (3.2 * len(LABELS), 2.8)


_LINE_DETAIL = re.compile(r" \(line \d+\b.*\)$")


def error_kind(message: str) -> str:
    """The kind of a row's error, for counting: ``malformed row (line 9: ...)`` counts as ``malformed row``."""
    return _LINE_DETAIL.sub("", message)


@dataclass
class Summary:
    """Running totals of a scoring run (see the module docstring).

    Attributes:
        thresholds: the model's flag thresholds, drawn on the histograms.
        top_n: how many of the most confident flagged posts to keep.
        rows: rows seen; ``errors`` of them could not be scored.
        label_counts: scored rows per primary label.
        flag_counts: rows carrying each flag (the shipped models give a post at most one: see
            :class:`pilkada_nlp.Prediction`).
        flagged: rows with at least one flag, i.e. to review.
        error_counts: rows per kind of error (:func:`error_kind`: the message without its line number).
        histograms: per label, row counts in :data:`BINS` equal bins of ``score_<label>`` over the scored rows.
        top: the most confident flagged posts, highest score first: row (its number in the file, counted from 1 as
            people and spreadsheet ids count: row 1 is the first row after the header), label, score, flags, and an
            excerpt of the text.
    """

    thresholds: dict[str, float]
    top_n: int = 10
    rows: int = 0
    errors: int = 0
    label_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    flag_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAG_LABELS, 0))
    flagged: int = 0
    error_counts: dict[str, int] = field(default_factory=dict)
    histograms: dict[str, list[int]] = field(default_factory=lambda: {label: [0] * BINS for label in LABELS})
    top: list[dict[str, Any]] = field(default_factory=list)

    def add(self, scored: pd.DataFrame, text_column: str, rows_before: int) -> None:
        """Count one scored chunk (output of :func:`pilkada_nlp.score_dataframe`) that follows ``rows_before`` rows."""
        self.rows += len(scored)
        failed = scored["error"].notna().to_numpy()
        self.errors += int(failed.sum())
        for message, count in scored.loc[failed, "error"].map(error_kind).value_counts().items():
            self.error_counts[message] = self.error_counts.get(message, 0) + int(count)
        ok = scored.loc[~failed]
        for label, count in ok["label"].value_counts().items():
            self.label_counts[label] += int(count)
        flags = ok["flags"].fillna("")
        self.flagged += int((flags != "").sum())
        for label in FLAG_LABELS:
            self.flag_counts[label] += int(flags.map(lambda joined, name=label: name in joined.split(";")).sum())
        for label in LABELS:
            values = ok[f"score_{label}"].to_numpy(dtype=float)
            counts, _ = np.histogram(values, bins=BINS, range=(0.0, 1.0))
            self.histograms[label] = [a + int(b) for a, b in zip(self.histograms[label], counts)]
        if self.top_n:
            rows = scored.assign(_row=np.arange(rows_before + 1, rows_before + len(scored) + 1))
            best = rows[~failed & (scored["flags"].fillna("") != "").to_numpy()].nlargest(self.top_n, "score")
            new = [
                {"row": int(row), "label": label, "score": float(score), "flags": flag,
                 "text": text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"}
                for row, label, score, flag, text in zip(
                    best["_row"], best["label"], best["score"], best["flags"], best[text_column]
                )
            ]
            merged = sorted(self.top + new, key=lambda item: (-item["score"], item["row"]))
            self.top = merged[: self.top_n]

    # -- numbers ----------------------------------------------------------------------------------------------
    def shares(self) -> dict[str, float]:
        """Share of all rows per label and for ``error``; sums to 1 (0 for an empty file)."""
        total = self.rows or 1
        return {**{label: self.label_counts[label] / total for label in LABELS}, "error": self.errors / total}

    def to_dict(self) -> dict[str, Any]:
        """All fields plus ``shares`` and the histogram ``bin_edges``: the JSON report."""
        return {**asdict(self), "shares": self.shares(), "bin_edges": np.linspace(0, 1, BINS + 1).round(4).tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    # -- reports ----------------------------------------------------------------------------------------------
    def to_text(self) -> str:
        """A plain-text report: label table, flags, errors, score histograms as sparklines, top flagged posts."""
        lines = [f"{'label':<18}{'rows':>9}{'share':>9}"]
        shares = self.shares()
        for label in LABELS:
            lines.append(f"{label:<18}{self.label_counts[label]:>9,}{shares[label]:>9.1%}")
        lines.append(f"{'error (not scored)':<18}{self.errors:>9,}{shares['error']:>9.1%}")
        lines.append(f"{'total':<18}{self.rows:>9,}{(1.0 if self.rows else 0.0):>9.1%}")
        lines.append(f"flagged for review: {self.flagged:,} rows ("
                     + ", ".join(f"{label} {n:,}" for label, n in self.flag_counts.items()) + ")")
        if self.error_counts:
            lines.append("errors: " + ", ".join(f"{message} ({n:,})" for message, n in self.error_counts.items()))
        lines.append(f"score histograms ({BINS} bins from 0 to 1; | marks the threshold):")
        for label in LABELS:
            lines.append(f"  {label:<17}{self._sparkline(label)}")
        if self.top:
            lines.append(f"top {len(self.top)} most confident flagged posts:")
            for item in self.top:
                text = terminal_safe(" ".join(item["text"].split()))
                lines.append(f"  row {item['row']:<7} {item['label']:<17}{item['score']:.3f}  {text[:90]}")
        return "\n".join(lines)

    def _sparkline(self, label: str) -> str:
        counts = np.asarray(self.histograms[label], dtype=float)
        scaled = np.log1p(counts) / np.log1p(counts.max()) if counts.max() else counts
        cells = [_SPARK[round(v * (len(_SPARK) - 1))] for v in scaled]
        threshold = self.thresholds.get(label)
        if threshold is not None and label != BENIGN:
            cells.insert(min(int(threshold * BINS), BINS), "|")
        return "".join(cells)

    def plot_labels(self, ax=None):
        """Bar chart of rows per label (and errors) on ``ax`` (a new figure when None); returns the axes."""
        if ax is None:
            import matplotlib.pyplot as plt

            ax = plt.subplots(figsize=LABELS_SIZE)[1]
        names = [*LABELS, "error"]
        counts = [*(self.label_counts[label] for label in LABELS), self.errors]
        bars = ax.barh(names, counts, color=["#c0392b", "#8e44ad", "#d35400", "#7f8c8d", "#bdc3c7"])
        ax.bar_label(bars, labels=[f" {c:,} ({s:.1%})" for c, s in zip(counts, self.shares().values())], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("rows")
        ax.set_title(f"Primary label of {self.rows:,} rows")
        ax.margins(x=0.2)
        return ax

    def plot_histograms(self, fig=None):
        """One histogram of ``score_<label>`` per label over the scored rows, thresholds dashed, on ``fig`` (a new
        pyplot figure when None); returns the figure."""
        if fig is None:
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=HISTOGRAM_SIZE)
        axes = fig.subplots(1, len(LABELS), sharey=True)
        edges = np.linspace(0, 1, BINS + 1)
        for ax, label in zip(axes, LABELS):
            ax.stairs(self.histograms[label], edges, fill=True, alpha=0.7)
            if label in self.thresholds:
                ax.axvline(self.thresholds[label], color="k", linestyle="--", linewidth=1, label="threshold")
            ax.set_title(f"score_{label}", fontsize=9)
            ax.set_yscale("symlog")
            ax.set_xlabel("score")
        axes[0].set_ylabel("rows")
        fig.tight_layout()
        return fig

    @staticmethod
    def check_report(path: str | Path) -> None:
        """Raise what :meth:`write` would raise for ``path`` (wrong extension, matplotlib missing) before a long run
        produces the data for it."""
        suffix = Path(path).suffix.lower()
        if suffix not in (".json", ".html", ".htm"):
            raise ValueError(f"--report {path}: use a .html or .json file name")
        if suffix != ".json":
            _figure_class()

    def write(self, path: str | Path) -> Path:
        """Save the report as ``.json`` or as self-contained ``.html`` (charts embedded as PNG; needs matplotlib)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        elif suffix in (".html", ".htm"):
            path.write_text(self._html(), encoding="utf-8")
        else:
            raise ValueError(f"report {path}: use a .html or .json file name")
        return path

    def _html(self) -> str:
        new_figure = _figure_class()

        def png(fig) -> str:
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
            return base64.b64encode(buffer.getvalue()).decode("ascii")

        labels = new_figure(figsize=LABELS_SIZE)
        self.plot_labels(labels.subplots())
        labels_png = png(labels)
        histograms_png = png(self.plot_histograms(new_figure(figsize=HISTOGRAM_SIZE)))
        shares = self.shares()
        rows = "".join(
            f"<tr><td>{name}</td><td>{count:,}</td><td>{shares[name]:.1%}</td></tr>"
            for name, count in [*self.label_counts.items(), ("error", self.errors)]
        )
        top = "".join(
            f"<tr><td>{item['row']}</td><td>{item['label']}</td><td>{item['score']:.3f}</td>"
            f"<td>{html.escape(item['flags'])}</td><td>{html.escape(item['text'])}</td></tr>"
            for item in self.top
        )
        errors = "".join(f"<li>{html.escape(m)}: {n:,}</li>" for m, n in self.error_counts.items())
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pilkada-nlp scoring report</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}}</style></head><body>
<h1>Scoring report</h1>
<p>{self.rows:,} rows; {self.rows - self.errors:,} scored, {self.errors:,} not scored;
{self.flagged:,} flagged for review.</p>
<table><tr><th>label</th><th>rows</th><th>share</th></tr>{rows}</table>
<ul>{errors}</ul>
<img alt="rows per label" src="data:image/png;base64,{labels_png}">
<h2>Score histograms</h2>
<img alt="score histograms per label" src="data:image/png;base64,{histograms_png}">
<h2>Most confident flagged posts</h2>
<table><tr><th>row</th><th>label</th><th>score</th><th>flags</th><th>text</th></tr>{top}</table>
</body></html>
"""


def _figure_class():
    """matplotlib's ``Figure`` (not pyplot: leaves the caller's backend, a notebook's, alone), or an ImportError that
    says how to install it."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("an HTML report needs matplotlib: pip install 'pilkada-nlp[batch]'") from None
    return Figure
