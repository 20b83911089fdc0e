"""Normalisation of Indonesian social-media text, shared by training and inference.

There is exactly one function, :func:`normalize`, and both the trainers and every backend call it, so the text a model
saw in training and the text it sees in production cannot drift apart. Its behaviour is versioned by
:data:`NORMALIZER_VERSION`; a model directory records the version it was trained with and loading refuses a mismatch.

Steps, in order (each exists for a reason seen in the data):

1. Unicode NFKC and removal of lone surrogates: "fancy font" posts (𝐏𝐢𝐥𝐢𝐡) and broken encodings become plain text.
2. URLs become ``httpurl`` and @mentions become ``@user`` (IndoBERTweet's placeholders): links and handles identify
   sources and people, not labels.
3. Hashtags are split (``#PilkadaDamai2024`` → ``pilkada damai 2024``) so campaign hashtags share words with prose.
4. Lower-casing; letters repeated three or more times are squeezed (``bangettt`` → ``banget``).
5. Money amounts (``50rb``, ``Rp100.000``, ``1jt``) become ``nominaluang``: the amount matters less than its presence.
6. Emoji are kept, each as its own token (they carry tone: 😂 vs 😡), with runs of one emoji squeezed.
7. Reduplication written with 2 (``anak2``) is expanded; slang is mapped to formal words with this project's lexicon
   (``resources/slang_id.json``, e.g. ``yg`` → ``yang``, ``gk`` → ``tidak``).
8. Names of political figures and parties become ``tokohpolitik`` / ``partaipolitik``, so that a name frequent in one
   label's training data does not become evidence for that label.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

#: Bump whenever the output of :func:`normalize` changes for any input.
NORMALIZER_VERSION = "1"

URL_TOKEN = "httpurl"
USER_TOKEN = "@user"
MONEY_TOKEN = "nominaluang"
FIGURE_TOKEN = "tokohpolitik"
PARTY_TOKEN = "partaipolitik"

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b(?:bit\.ly|t\.co|s\.id|wa\.me|tinyurl\.com)/\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_MONEY = re.compile(
    r"\brp\.?\s?\d[\d.,]*(?:\s?(?:rb|ribu|k|jt|juta))?\b|\b\d[\d.,]*\s?(?:rb|ribu|rebu|k|jt|juta|jeti)\b", re.IGNORECASE
)
# Pictographs, symbols and flags; variation selectors and zero-width joiners are dropped beforehand.
_EMOJI = re.compile(r"([\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF])\1*")
_EMOJI_JOINERS = re.compile(r"[\u200d\ufe0e\ufe0f\U0001F3FB-\U0001F3FF]")
_REDUPLICATION = re.compile(r"\b([^\W\d_]{3,})2\b")
_TOKEN = re.compile(r"@user|\w+|[^\w\s]")
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _slang() -> dict[str, str]:
    with resources.files("pilkada_nlp.resources").joinpath("slang_id.json").open(encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def _names() -> dict[tuple[str, ...] | str, str]:
    """Political names as token tuples (``("ridwan", "kamil")``) mapped to their mask token, plus first tokens."""
    with resources.files("pilkada_nlp.resources").joinpath("political_names.json").open(encoding="utf-8") as handle:
        names = json.load(handle)
    masks = {tuple(_TOKEN.findall(name)): FIGURE_TOKEN for name in names["figures"]}
    masks.update({tuple(_TOKEN.findall(name)): PARTY_TOKEN for name in names["parties"]})
    # First tokens of multi-word names are keys too (mapping to "") so one dict lookup rules out a name.
    return {**{key[0]: "" for key in masks}, **masks}


def _mask_names(tokens: list[str]) -> list[str]:
    """Replace political names (one to three tokens long, longest match first) by their mask token."""
    names = _names()
    out, i = [], 0
    while i < len(tokens):
        if tokens[i] in names:  # only the first token of a name needs checking in the common case
            for width in (3, 2, 1):
                mask = names.get(tuple(tokens[i : i + width]))
                if mask:
                    out.append(mask)
                    i += width
                    break
            else:
                out.append(tokens[i])
                i += 1
        else:
            out.append(tokens[i])
            i += 1
    return out


def _split_hashtag(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(1)).replace("_", " ") + " "


def normalize(text: str) -> str:
    """Return the normalised form of one post (see the module docstring for the steps).

    The function is total on ``str``: any string, including empty or broken ones, gives a string. Callers validate
    types first (see :func:`pilkada_nlp.classify`).
    """
    text = unicodedata.normalize("NFKC", _SURROGATES.sub(" ", text))
    if "/" in text or "www" in text:
        text = _URL.sub(f" {URL_TOKEN} ", text)
    if "@" in text:
        text = _MENTION.sub(f" {USER_TOKEN} ", text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    text = _REPEATS.sub(r"\1", text.lower())
    if _DIGIT.search(text):
        text = _MONEY.sub(f" {MONEY_TOKEN} ", text)
        text = _REDUPLICATION.sub(r"\1 \1", text)
    text = _EMOJI.sub(r" \1 ", _EMOJI_JOINERS.sub("", text))
    slang = _slang()
    tokens = [slang.get(token, token) for token in _TOKEN.findall(text)]
    return " ".join(_mask_names(" ".join(tokens).split()))
