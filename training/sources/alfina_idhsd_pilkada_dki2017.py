"""Loader for ``alfina_idhsd_pilkada_dki2017``: hate-speech tweets on the 2017 Jakarta governor election (Alfina 2017).

The file is cp1252, tab-separated with CSV-style quoting, and uses old-Mac CR-only line ends, which pandas can't
read directly; raw tweets also keep JSON escapes (``\\ud83d\\ude06``, ``https:\\/\\/``) that ``repair_text`` decodes.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .common import build_frame, clean_text, map_values

SOURCE = "alfina_idhsd_pilkada_dki2017"
FILE = Path(SOURCE) / "IDHSD_RIO_unbalanced_713_2017.txt"
ENCODING = "cp1252"

#: The annotators' HS follows the same SARA-oriented definition as ours (attacks on religion/ethnicity of candidates).
LABEL_MAP = {"HS": "hate_speech", "Non_HS": "benign"}


def _read(path: Path) -> pd.DataFrame:
    """Decode cp1252 and normalise CR-only (and CRLF) line ends before parsing the quoted TSV."""
    text = path.read_bytes().decode(ENCODING).replace("\r\n", "\n").replace("\r", "\n")
    return pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)


def load(data_dir: Path) -> pd.DataFrame:
    """Load the 713 tweets; the row key is the tweet as parsed from the file (CSV quotes removed)."""
    df = _read(Path(data_dir) / FILE)
    labels = map_values(df["Label"].str.strip(), LABEL_MAP, SOURCE)
    return build_frame(SOURCE, df["Tweet"], df["Tweet"].map(clean_text), labels)
