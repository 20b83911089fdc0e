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

Version 2 changed four steps, each after a false flag seen on real posts:

* slang is mapped in context: fixed phrases keep their words (``terima kasih`` stayed ``terima beri`` in version 1,
  which read like a hand-out);
* emoji are found with the ``emoji`` library, so a flag, a keycap or a ZWJ family is one token, not three;
* a URL keeps its domain as a token (``httpurl situs_kompas_com``): *where* a link points is evidence, its path is not;
* e-mail addresses become ``emailaddr`` instead of turning their domain into a mention.

Version 1 is kept, behind ``version="1"``, only for the shipped transformer trained with it; a model directory names
its version and :class:`~pilkada_nlp.models.classifier.Classifier` normalises with it.

Speed: :func:`normalize_reference` is these steps written plainly, one pass each, and is the specification;
:func:`normalize` (one post) and :func:`normalize_batch` (a list) are faster forms that return exactly the same
strings (``tests/test_fast_path.py`` compares them on fixed and random hostile strings with Hypothesis). They skip
passes that cannot change a text, isolate emoji per whitespace-separated chunk with a cache, and, for a batch,
tokenise and map slang and names once over the joined posts.

:func:`has_evidence` says whether a normalised post holds any word that could support a flag (greetings, thanks,
one-word replies, numbers and emoji alone do not): the classifier never flags a post without evidence.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from itertools import compress, count

#: Bump whenever the output of :func:`normalize` changes for any input.
NORMALIZER_VERSION = "2"
#: Versions :func:`normalize` can still produce (models record theirs).
SUPPORTED_VERSIONS = ("1", "2")

URL_TOKEN = "httpurl"
USER_TOKEN = "@user"
MONEY_TOKEN = "nominaluang"
FIGURE_TOKEN = "tokohpolitik"
PARTY_TOKEN = "partaipolitik"
EMAIL_TOKEN = "emailaddr"
DOMAIN_PREFIX = "situs_"

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b(?:bit\.ly|t\.co|s\.id|wa\.me|tinyurl\.com)/\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?([^/?#:\s]+)", re.IGNORECASE)
_NON_WORD = re.compile(r"\W+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_MONEY = re.compile(
    r"\brp\.?\s?\d[\d.,]*(?:\s?(?:rb|ribu|k|jt|juta))?\b|\b\d[\d.,]*\s?(?:rb|ribu|rebu|k|jt|juta|jeti)\b", re.IGNORECASE
)
# Pictographs, symbols and flags; variation selectors and zero-width joiners are dropped beforehand.
_EMOJI = re.compile(r"([\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF])\1*")
_EMOJI_JOINERS = re.compile(r"[\u200d\ufe0e\ufe0f\U0001F3FB-\U0001F3FF]")
#: Presentation selectors and skin tones: dropped from an emoji sequence so 👍🏽 and 👍 are one feature.
_EMOJI_VARIANTS = re.compile(r"[\ufe0e\ufe0f\U0001F3FB-\U0001F3FF]")
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


#: Word pairs whose words keep their meaning only together: slang mapping leaves them alone (version 2).
FIXED_PHRASES = frozenset({("terima", "kasih"), ("kasih", "sayang"), ("pilih", "kasih"), ("kasih", "tahu")})


def _map_slang(tokens: list[str]) -> list[str]:
    """Slang → formal word per token, except inside :data:`FIXED_PHRASES` (matched on the mapped neighbours, so
    ``trima kasih`` is ``terima kasih`` too)."""
    slang = _slang()
    out: list[str] = []
    for i, token in enumerate(tokens):
        following = slang.get(tokens[i + 1], tokens[i + 1]) if i + 1 < len(tokens) else None
        fixed = (out and (out[-1], token) in FIXED_PHRASES) or (token, following) in FIXED_PHRASES
        out.append(token if fixed else slang.get(token, token))
    return out


def _url_with_domain(match: re.Match[str]) -> str:
    domain = _DOMAIN.match(match.group(0))
    name = _NON_WORD.sub("_", domain.group(1).lower()).strip("_") if domain else ""
    return f" {URL_TOKEN} {DOMAIN_PREFIX}{name} " if name else f" {URL_TOKEN} "


def _isolate_emoji(text: str) -> tuple[str, set[str]]:
    """Put every emoji sequence (flags, keycaps, ZWJ families included) between spaces, without variants."""
    if text.isascii():
        return text, set()
    import emoji  # imported here: most posts are ASCII, and the import costs ~0.1 s

    found: set[str] = set()
    parts, last = [], 0
    for item in emoji.emoji_list(text):
        canonical = _EMOJI_VARIANTS.sub("", item["emoji"]) or item["emoji"]
        found.add(canonical)
        parts.extend((text[last : item["match_start"]], f" {canonical} "))
        last = item["match_end"]
    parts.append(text[last:])
    return "".join(parts), found


def _tokens_v2(text: str, emoji_found: set[str]) -> list[str]:
    """Tokens with each emoji sequence whole and runs of one emoji squeezed to one."""
    tokens: list[str] = []
    for chunk in text.split():
        if chunk in emoji_found:
            if not tokens or tokens[-1] != chunk:
                tokens.append(chunk)
        else:
            tokens.extend(_TOKEN.findall(chunk))
    return tokens


def normalize(text: str, version: str = NORMALIZER_VERSION) -> str:
    """Return the normalised form of one post (see the module docstring for the steps).

    The function is total on ``str``: any string, including empty or broken ones, gives a string. Callers validate
    types first (see :func:`pilkada_nlp.classify`). ``version`` is the one a model was trained with.

    This is the fast form of :func:`normalize_reference` (same output for every string, tested): passes that cannot
    change a text are skipped (Unicode steps on ASCII text, emoji search on text without emoji characters, name and
    phrase checks when no token could start one), and emoji are isolated per whitespace-separated chunk, with a cache
    of the chunks already seen.
    """
    if version == "2":
        return _normalize_v2(text)
    if version == "1":
        return _normalize_v1(text)
    raise ValueError(f"unknown normaliser version {version!r}; supported: {', '.join(SUPPORTED_VERSIONS)}")


#: Words of :data:`FIXED_PHRASES`: slang mapping looks at a token's neighbours only when the post holds one of them.
_FIXED_WORDS = frozenset(word for pair in FIXED_PHRASES for word in pair)
_CHUNKS = re.compile(r"(\s+)")
_CHUNK_CACHE_SIZE = 50_000
_chunk_cache: dict[str, tuple[str, tuple[str, ...]]] = {}


@lru_cache(maxsize=1)
def _emoji_characters() -> frozenset[str]:
    """Every non-ASCII character on the ``emoji`` library's search tree: a text without one holds no emoji.

    ``emoji.emoji_list`` only matches paths of that tree; each path that ends in an emoji holds a non-ASCII
    character (checked here; if a future ``emoji`` release breaks that, every non-ASCII text is searched).
    """
    from emoji.tokenizer import get_search_tree

    found: set[str] = set()
    stack = [(get_search_tree(), False)]
    while stack:
        node, has_non_ascii = stack.pop()
        for char, child in node.items():
            if char == "data":
                if not has_non_ascii:
                    return frozenset()  # an all-ASCII emoji: the shortcut would be wrong, so never take it
                continue
            if not char.isascii():
                found.add(char)
            stack.append((child, has_non_ascii or not char.isascii()))
    return frozenset(found)


def _isolate_emoji_fast(text: str) -> tuple[str, set[str]]:
    """:func:`_isolate_emoji`, chunk by chunk: an emoji match never holds whitespace, and ``emoji.emoji_list``
    starts afresh after whitespace, so isolating each chunk alone gives the same text."""
    characters = _emoji_characters()
    if characters and characters.isdisjoint(text):
        return text, set()
    found: set[str] = set()
    parts = _CHUNKS.split(text)
    for i in range(0, len(parts), 2):  # even positions are chunks, odd ones the whitespace between them
        chunk = parts[i]
        if not chunk or (characters and characters.isdisjoint(chunk)):
            continue
        cached = _chunk_cache.get(chunk)
        if cached is None:
            isolated, emoji_set = _isolate_emoji(chunk)
            cached = (isolated, tuple(emoji_set))
            if len(_chunk_cache) >= _CHUNK_CACHE_SIZE:
                _chunk_cache.clear()
            _chunk_cache[chunk] = cached
        parts[i] = cached[0]
        found.update(cached[1])
    return "".join(parts), found


def _finish(tokens: list[str]) -> str:
    """Slang-mapped tokens → the output string: re-split (a slang word may map to two words), mask names.

    Same as ``_mask_names``: only the positions whose token can start a name (found at C speed) are looked at,
    left to right, skipping those inside a name already masked.
    """
    words = " ".join(tokens).split()
    names = _names()
    if names.keys().isdisjoint(words):
        return " ".join(words)
    out, done = [], 0
    for i in compress(count(), map(names.__contains__, words)):
        if i < done:
            continue
        for width in (3, 2, 1):
            mask = names.get(tuple(words[i : i + width]))
            if mask:
                out.extend(words[done:i])
                out.append(mask)
                done = i + width
                break
    out.extend(words[done:])
    return " ".join(out)


def _map_slang_fast(tokens: list[str]) -> list[str]:
    """``_map_slang``: every token mapped at C speed, then, left to right, the few fixed-phrase words put back where
    they pair with the previous output or the next token's mapping (as ``_map_slang`` matches them)."""
    slang = _slang()
    out = list(map(slang.get, tokens, tokens))
    last = len(tokens) - 1
    for i in compress(count(), map(_FIXED_WORDS.__contains__, tokens)):
        token = tokens[i]
        # out[i - 1] is final (positions before i are done); out[i + 1] is still the next token's mapping
        if (i and (out[i - 1], token) in FIXED_PHRASES) or (i < last and (token, out[i + 1]) in FIXED_PHRASES):
            out[i] = token
    return out


def _prepare_v2(text: str) -> tuple[str, set[str]]:
    """Version 2 up to tokenising: the text with its regex steps done, and the emoji sequences found in it."""
    if text.isascii():  # NFKC leaves ASCII as it is, and ASCII holds no surrogate and no emoji
        emoji_found: set[str] = set()
    else:
        text = unicodedata.normalize("NFKC", _SURROGATES.sub(" ", text))
        text, emoji_found = (text, set()) if text.isascii() else _isolate_emoji_fast(text)
    if "@" in text:
        text = _EMAIL.sub(f" {EMAIL_TOKEN} ", text)
    if "/" in text or "www" in text:
        text = _URL.sub(_url_with_domain, text)
    if "@" in text:
        text = _MENTION.sub(f" {USER_TOKEN} ", text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    return _lower_squeeze_money(text), emoji_found


def _lower_squeeze_money(text: str) -> str:
    text = text.lower()
    if _REPEATS.search(text):  # search before sub: a sub with a template costs more even when nothing matches
        text = _REPEATS.sub(r"\1", text)
    if _DIGIT.search(text):
        text = _MONEY.sub(f" {MONEY_TOKEN} ", text)
        if _REDUPLICATION.search(text):
            text = _REDUPLICATION.sub(r"\1 \1", text)
    return text


def _normalize_v2(text: str) -> str:
    text, emoji_found = _prepare_v2(text)
    tokens = _tokens_v2(text, emoji_found) if emoji_found else _TOKEN.findall(text)
    return _finish(_map_slang_fast(tokens))


def _prepare_v1(text: str) -> str:
    """Version 1 up to tokenising."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", _SURROGATES.sub(" ", text))
    if "/" in text or "www" in text:
        text = _URL.sub(f" {URL_TOKEN} ", text)
    if "@" in text:
        text = _MENTION.sub(f" {USER_TOKEN} ", text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    text = _lower_squeeze_money(text)
    if not text.isascii():  # joiners and emoji are non-ASCII
        text = _EMOJI.sub(r" \1 ", _EMOJI_JOINERS.sub("", text))
    return text


def _normalize_v1(text: str) -> str:
    slang = _slang()
    tokens = _TOKEN.findall(_prepare_v1(text))
    return _finish(list(map(slang.get, tokens, tokens)))


#: Joins the posts of a batch into one string for the steps after the regular expressions: whitespace on both
#: sides, and a NUL in the middle, which the tokeniser keeps as a token of its own that no slang word, fixed phrase
#: or name holds.
_BATCH_MARK = "\x00"
_BATCH_JOIN = " \x00 "


def normalize_batch(texts: list[str], version: str = NORMALIZER_VERSION) -> list[str]:
    """``[normalize(t, version) for t in texts]``, faster: after each post's regex steps, the tokeniser and the
    slang and name lookups run once over the batch joined into one string (see ``_BATCH_JOIN``), not once per post.

    Posts holding emoji sequences (version 2) or a NUL finish alone. The equality is tested on random hostile
    batches (``tests/test_fast_path.py``).
    """
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"unknown normaliser version {version!r}; supported: {', '.join(SUPPORTED_VERSIONS)}")
    out: list[str | None] = [None] * len(texts)
    where, pending = [], []
    for i, text in enumerate(texts):
        if _BATCH_MARK in text:
            out[i] = normalize(text, version)
            continue
        if version == "2":
            text, emoji_found = _prepare_v2(text)
            if emoji_found:
                out[i] = _finish(_map_slang_fast(_tokens_v2(text, emoji_found)))
                continue
        else:
            text = _prepare_v1(text)
        where.append(i)
        pending.append(text)
    if pending:
        tokens = _TOKEN.findall(_BATCH_JOIN.join(pending))
        if version == "2":
            tokens = _map_slang_fast(tokens)
        else:
            slang = _slang()
            tokens = list(map(slang.get, tokens, tokens))
        parts = [part.strip(" ") for part in _finish(tokens).split(_BATCH_MARK)]
        if len(parts) != len(pending):  # cannot happen (no slang word or name holds a NUL); stay exact if it does
            parts = [normalize(texts[i], version) for i in where]
        for i, part in zip(where, parts):
            out[i] = part
    return out  # type: ignore[return-value]


def normalize_reference(text: str, version: str = NORMALIZER_VERSION) -> str:
    """The specification of :func:`normalize`: the steps of the module docstring, written plainly, one pass each.

    :func:`normalize` must return exactly this for every string (``tests/test_normalize_fast.py`` checks it on
    fixed and randomly generated hostile strings); it is kept for that test and as the readable definition.
    """
    if version == "1":
        return _normalize_v1_reference(text)
    if version != "2":
        raise ValueError(f"unknown normaliser version {version!r}; supported: {', '.join(SUPPORTED_VERSIONS)}")
    text = unicodedata.normalize("NFKC", _SURROGATES.sub(" ", text))
    text, emoji_found = _isolate_emoji(text)
    if "@" in text:
        text = _EMAIL.sub(f" {EMAIL_TOKEN} ", text)
    if "/" in text or "www" in text:
        text = _URL.sub(_url_with_domain, text)
    if "@" in text:
        text = _MENTION.sub(f" {USER_TOKEN} ", text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    text = _REPEATS.sub(r"\1", text.lower())
    if _DIGIT.search(text):
        text = _MONEY.sub(f" {MONEY_TOKEN} ", text)
        text = _REDUPLICATION.sub(r"\1 \1", text)
    tokens = _map_slang(_tokens_v2(text, emoji_found))
    return " ".join(_mask_names(" ".join(tokens).split()))


def _normalize_v1_reference(text: str) -> str:
    """Version 1 of :func:`normalize`, unchanged (see the module docstring for why it is kept)."""
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


#: Normalised words that carry no evidence for any flag on their own: greetings, thanks, fillers, one-word replies,
#: forms of address, pronouns, question words, particles and the placeholders. Written for this project.
NO_EVIDENCE_WORDS = frozenset("""
selamat pagi siang sore malam subuh halo hallo hai hi hello hey salam assalamualaikum assalamu alaikum
waalaikumsalam wassalam permisi met terima kasih makasih thanks thank you tq thx nuhun hatur matur nuwun suwun
ok oke okey okay sip siap mantap mantul keren bagus setuju sepakat betul benar iya ya yes yup no nope tidak nggak
enggak bukan up hadir absen nyimak informasi info test tes testing cek check halo2 tertawa lol lucu aamiin amin
semangat sehat selalu sukses good nice wow oh ah eh hmm loh lho duh aduh astaga pak bapak bu ibu mas mbak bang
abang kak kakak om tante dik adik bro sis gan agan min admin mimin bos boss bund bunda kang teh akang teteh saya
aku gue gw kamu lu lo anda kita kami dia beliau mereka kalian semua semuanya kapan dimana di mana siapa apa
kenapa mengapa bagaimana gimana berapa kok sih dong deh nih tuh lah kah yah ini itu dan atau yang ke dari pada
untuk juga sudah udah belum lagi saja aja sama dengan buat jadi ada bisa mau akan banget sekali sangat lebih
kurang terus nanti besok kemarin hari sekarang baru masih the a an of to is and
""".split()) | {URL_TOKEN, USER_TOKEN, EMAIL_TOKEN, MONEY_TOKEN, FIGURE_TOKEN, PARTY_TOKEN}  # noqa: SIM905 (reads as text)


@lru_cache(maxsize=1)
def _no_evidence_words() -> frozenset[str]:
    """:data:`NO_EVIDENCE_WORDS` as :func:`normalize` writes them (``gw`` → ``saya``, ``makasih`` → ``terima kasih``)."""
    mapped = {word for entry in NO_EVIDENCE_WORDS for word in _slang().get(entry, entry).split()}
    return frozenset(NO_EVIDENCE_WORDS | mapped)


def has_evidence(normalised: str) -> bool:
    """Whether a normalised post has a word that could support a flag.

    A post made only of :data:`NO_EVIDENCE_WORDS`, single characters, numbers, punctuation, emoji and link domains
    holds nothing a patrol officer could act on; classifying it anyway returns the prior of the largest class.
    """
    for token in normalised.split():
        if len(token) < 2 or token in _no_evidence_words() or token.startswith(DOMAIN_PREFIX):
            continue
        if any(character.isalpha() for character in token):
            return True
    return False
