"""The normaliser: one function shared by training and inference."""

import pytest

from pilkada_nlp.text import (
    EMAIL_TOKEN,
    FIGURE_TOKEN,
    MONEY_TOKEN,
    PARTY_TOKEN,
    URL_TOKEN,
    USER_TOKEN,
    has_evidence,
    normalize,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Cek https://t.co/AbC123 dan www.kpu.go.id", f"cek {URL_TOKEN} situs_t_co dan {URL_TOKEN} situs_kpu_go_id"),
        ("kirim ke budi.s@mail.co.id ya", f"kirim ke {EMAIL_TOKEN} ya"),
        ("Terima kasih Pak, kasih sayang", "terima kasih pak , kasih sayang"),
        ("kasih duit", "beri uang"),
        ("@bawaslu_ri tolong cek", f"{USER_TOKEN} tolong cek"),
        ("#PilkadaDamai2024", "pilkada damai 2024"),
        ("mantappp bangettt", "mantap banget"),
        ("yg gk bgt", "yang tidak banget"),
        ("amplop 50rb, Rp100.000 dan 1jt", f"amplop {MONEY_TOKEN} , {MONEY_TOKEN} dan {MONEY_TOKEN}"),
        ("anak2 ikut", "anak anak ikut"),
        ("Jokowi dan PDI Perjuangan", f"{FIGURE_TOKEN} dan {PARTY_TOKEN}"),
        ("", ""),
        ("   \n\t ", ""),
    ],
)
def test_normalize_cases(raw, expected):
    assert normalize(raw) == expected


def test_emoji_are_kept_as_single_tokens():
    assert normalize("wkwk😂😂😂mantap") == "tertawa 😂 mantap"


def test_emoji_sequences_are_one_token_each():
    """Flags, keycaps and ZWJ families are single emoji to a reader; skin tones don't make a new feature."""
    assert normalize("🇮🇩🇮🇩 1️⃣ 👨‍👩‍👧 👍🏽") == "🇮🇩 1⃣ 👨\u200d👩\u200d👧 👍"


def test_version_1_is_still_available_for_models_trained_with_it():
    text = "Terima kasih, cek https://t.co/x 🇮🇩 budi@mail.com"
    assert normalize(text, "1") == f"terima beri , cek {URL_TOKEN} 🇮 🇩 budi {USER_TOKEN} . com"
    assert normalize(text, "1") != normalize(text)
    with pytest.raises(ValueError, match="unknown normaliser version"):
        normalize(text, "0")


@pytest.mark.parametrize("text", ["Selamat pagi semua", "Info", "a", "1", "test", "Setuju pak", "Terima kasih Pak, wkwk",
                                  "😂😂", "@user @user", "?!", "https://t.co/x", "Rp50.000"])
def test_contentless_posts_have_no_evidence(text):
    assert not has_evidence(normalize(text))


@pytest.mark.parametrize("text", ["amplop 50rb asal coblos 2", "surat suara sudah dicoblos", "usir pendatang",
                                  "Bawaslu terima laporan"])
def test_posts_with_content_have_evidence(text):
    assert has_evidence(normalize(text))


def test_fancy_unicode_fonts_become_plain_letters():
    assert normalize("𝐏𝐢𝐥𝐢𝐡 nomor 2") == "pilih nomor 2"


def test_lone_surrogates_do_not_crash():
    assert normalize("halo \ud800 dunia") == "halo dunia"


def test_normalize_is_idempotent_on_its_own_output():
    text = "Yg dateng dapet amplop 50rb!!! #PilkadaDamai @user https://t.co/x 😂"
    once = normalize(text)
    assert normalize(once) == once


def test_lexicon_covers_frequent_slang_of_the_shared_lexicon():
    """Our own lexicon must cover most of the frequent slang forms in the public colloquial lexicon (when present)."""
    import collections
    import csv

    from tests.conftest import DATA_DIR

    path = DATA_DIR / "colloquial_indonesian_lexicon" / "colloquial-indonesian-lexicon.csv"
    if not path.is_file():
        pytest.skip("shared datasets not available")
    with open(path, encoding="utf-8") as handle:
        rows = [(r["slang"], r["formal"]) for r in csv.DictReader(handle) if r["slang"] != r["formal"]]
    top = [slang for slang, _ in collections.Counter(s for s, _ in rows).most_common(100)]
    covered = sum(normalize(slang) != slang for slang in top)
    assert covered / len(top) >= 0.6, f"lexicon covers only {covered}/{len(top)} of the 100 most frequent slang forms"
