"""Hostile strings for the tests that compare a fast path with its reference: fixed cases and a Hypothesis strategy.

The strategy glues pieces that each step of the normaliser reacts to (URLs, e-mails, mentions, hashtags, money,
repeated letters, reduplication, slang, fixed phrases, political names, emoji sequences with joiners, skin tones,
flags and keycaps, lone surrogates, fancy fonts, other scripts, odd whitespace) with random text, so a shortcut
that is wrong on some rare combination shows up as a difference.
"""

from __future__ import annotations

import json
from importlib import resources

from hypothesis import strategies as st

_NAMES = json.loads(resources.files("pilkada_nlp.resources").joinpath("political_names.json").read_text("utf-8"))
_SLANG = sorted(json.loads(resources.files("pilkada_nlp.resources").joinpath("slang_id.json").read_text("utf-8")))

PIECES = [
    "https://t.co/AbC123", "www.kpu.go.id/hasil?x=1#a", "http://bit.ly/3xYz", "bit.ly/abc", "s.id/Zz", "wa.me/62812",
    "HTTPS://Kompas.COM:8080/a", "https://", "www.", "budi.s@mail.co.id", "a@b.c", "@bawaslu_ri", "@", "@@user",
    "#PilkadaDamai2024", "#", "#a_b_C9", "#2024Pilkada", "Rp100.000", "rp 50.000,00", "50rb", "1jt", "2 juta", "10k",
    "Rp.5", "100 rebu", "3jeti", "anak2", "bener2", "ab2", "mantappp", "bangettt", "AAAA", "wkwkwk", "yg", "gk", "bgt",
    "terima kasih", "kasih sayang", "pilih kasih", "kasih tahu", "kasih", "terima", "kasih duit",
    "😂😂😂", "😡", "👍🏽", "👍🏻👍🏿", "🇮🇩🇮🇩", "🇮", "1️⃣", "#️⃣", "*⃣", "👨\u200d👩\u200d👧", "\u200d", "\u200d😂",
    "😂\u200d", "🏻", "\u200d🏻", "👩🏽\u200d💻", "🏳️\u200d🌈", "❤️", "❤\ufe0e", "\ufe0f", "©", "®️", "™", "‼️", "☺",
    "✌🏾", "🫠", "🧑\u200d🤝\u200d🧑", "😂\u200d\u200d😂", "🙏🙏", "😀😃", "\ud800", "\udfff", "a\udc80b",
    "𝐏𝐢𝐥𝐢𝐡", "ｆｕｌｌｗｉｄｔｈ", "①②", "ﬁ", "İstanbul", "ß", "ΣΑΣ", "مرحبا", "Привет", "中文字", "ไทย", "é", "e\u0301",
    "\t", "\n", "\xa0", "\u2003", "\u3000", "\x1c", "\x85", "\u2028", "\r\n", "  ", "!!!", "?!", "...", "--", "_",
    "2024", "27/11", "1.000.000", "nomor 2", "coblos", "amplop",
    *(_NAMES["figures"][:8]), *(_NAMES["parties"][:8]), *(_SLANG[::25]),
]

#: Fixed cases, every piece alone and a few combinations, checked on every run besides the random ones.
FIXED_CASES = [
    "", " ", "\n\t", *PIECES,
    "Cek https://t.co/x dan www.kpu.go.id, kirim ke budi@mail.com #PilkadaDamai2024 😂😂",
    "Yg dateng dapet amplop 50rb!!! #PilkadaDamai @user https://t.co/x 😂",
    "🇮🇩🇮🇩 1️⃣ 👨‍👩‍👧 👍🏽 terima kasih pak😂😂😂mantap",
    "rp\n100", "rp\xa0100 rb", "😂\u3000😂", "x😂y", "😂a😂", "a\u200d😂", "#😂", "@😂", "😂@user", "anak2😂",
    "Jokowi dan PDI Perjuangan", "pak jokowi jokowi", "bit.ly/x😂", "budi@mail.com😂", "\ud800😂\udfff",
]

_piece = st.sampled_from(PIECES)
_separator = st.sampled_from(["", " ", " ", "  ", "\n", "\t", "\xa0", ",", "\u200d"])
_noise = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=8)


@st.composite
def hostile_texts(draw) -> str:
    """A random mix of :data:`PIECES`, separators and arbitrary code points (surrogates included)."""
    parts = draw(st.lists(st.one_of(_piece, _piece, _noise), max_size=12))
    separators = draw(st.lists(_separator, min_size=len(parts), max_size=len(parts)))
    return "".join(part + separator for part, separator in zip(parts, separators))
