"""Tests of the dataset loaders in ``training/sources``.

Each loader runs on tiny synthetic files written with the real file names, encodings and columns; every text here
is invented. The last test runs all loaders on the real datasets folder when it is present.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

from training.sources import LOADERS, POOL_SOURCES, load_all
from training.sources import (
    alfina_idhsd_pilkada_dki2017 as alfina,
)
from training.sources import (
    bdc2020_satriadata_hoax as bdc,
)
from training.sources import (
    black_campaign_pilpres2024 as black_campaign,
)
from training.sources import (
    desrul_news_comments_abusive as desrul,
)
from training.sources import (
    ibrohim_multilabel_hs as ibrohim,
)
from training.sources import (
    id_stance_political_blogs as blogs,
)
from training.sources import (
    mafindo_hoax_1k as mafindo,
)
from training.sources import (
    netifier_toxicity as netifier,
)
from training.sources import (
    nofaaulia_hsd_facebook as nofaaulia,
)
from training.sources import (
    pilkada_banten2024_youtube as banten,
)
from training.sources import (
    pilkada_jatim2024_tweets as jatim,
)
from training.sources import (
    pilpres2024_hoax_headlines as pilpres,
)
from training.sources import (
    pratiwi2017_hoax_news as pratiwi,
)
from training.sources import (
    turnbackhoax2024_alharkan as turnbackhoax,
)
from training.sources.common import (
    COLUMNS,
    mask_identifiers,
    repair_text,
    row_key,
    strip_verdict_tags,
    strip_wrapping_quotes,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Mojibake as produced upstream: UTF-8 bytes decoded with the wrong codec.
CP1252_LAUGH = "😂".encode().decode("cp1252")  # black_campaign style: "ðŸ˜‚"
MAC_ROMAN_WINK = "😉".encode().decode("mac_roman")  # desrul style
IBROHIM_ANGRY = r"\xf0\x9f\x98\xa1"  # a literal byte-escape run, as dumped in re_dataset.csv

IBROHIM_COLUMNS = ["HS", "Abusive", "HS_Individual", "HS_Group", "HS_Religion", "HS_Race", "HS_Physical", "HS_Gender",
                   "HS_Other", "HS_Weak", "HS_Moderate", "HS_Strong"]


def write(path: Path, data: bytes | str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def write_csv(path: Path, df: pd.DataFrame, **options) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, **options)


def by_key(df: pd.DataFrame, raw: str) -> pd.Series:
    """The output row of the raw text ``raw`` (row keys are computed on the raw text)."""
    rows = df[df["row_key"] == row_key(raw)]
    assert len(rows) == 1, f"expected one row for {raw!r}, got {len(rows)}"
    return rows.iloc[0]


def check_contract(df: pd.DataFrame, source: str) -> None:
    assert list(df.columns) == COLUMNS
    assert (df["source"] == source).all()
    assert df["text"].str.strip().ne("").all()
    assert set(df["label"].dropna()) <= {"hoax", "hate_speech", "illegal_campaign", "benign"}


# --- synthetic files, one writer per source ----------------------------------------------------------------------

def ibrohim_rows() -> list[tuple[str, dict[str, int]]]:
    return [
        (f"USER kaum itu sesat semua {IBROHIM_ANGRY}'", {"HS": 1, "Abusive": 1, "HS_Religion": 1}),
        ("USER orang sana dan cewek2 bodoh'", {"HS": 1, "HS_Race": 1, "HS_Gender": 1}),
        ("USER dasar cebong tukang bohong'", {"HS": 1, "Abusive": 1, "HS_Other": 1}),
        ("anjir macet parah pagi ini URL", {"Abusive": 1}),
        ("caf\xe9 baru buka \\xf0\\x9f\\x8d\\xb5 \\xff", {}),
        ("", {}),
    ]


def write_ibrohim(root: Path) -> None:
    lines = [",".join(["Tweet", *IBROHIM_COLUMNS])]
    for tweet, flags in ibrohim_rows():
        lines.append(",".join([f'"{tweet}"', *(str(flags.get(c, 0)) for c in IBROHIM_COLUMNS)]))
    write(root / ibrohim.FILE, "\n".join(lines) + "\n", encoding="latin-1")


ALFINA_QUOTED = '"Debat ""seru"" malam ini \\ud83d\\ude02 https:\\/\\/t.co\\/abc123"'


def write_alfina(root: Path) -> None:
    text = "\r".join(["Label\tTweet", "HS\tUsir saja kaum itu dari kota ini…", f"Non_HS\t{ALFINA_QUOTED}"])
    write(root / alfina.FILE, text, encoding="cp1252")


def write_netifier(root: Path) -> None:
    def rows(texts_and_flags):
        records = [{"original_text": t, "source": "kaskus", **dict(zip(netifier.LABEL_COLUMNS, f))}
                   for t, f in texts_and_flags]
        return pd.DataFrame(records)

    write_csv(root / netifier.FILES[0], rows([
        ("[QUOTE=someuser;abc123]kutipan lama[/QUOTE]\\n\\nagama itu sesat semua", (1, 1, 0, 0)),
        ("jualan tas rotan murah, cek [B]sekarang[/B]", (0, 0, 0, 0)),
        ("artis itu penipu besar", (0, 0, 0, 1)),
    ]))
    write_csv(root / netifier.FILES[1], rows([("mantap acaranya kemarin", (0, 0, 0, 0))]))


def write_nofaaulia(root: Path) -> None:
    write_csv(root / nofaaulia.FILE, pd.DataFrame({
        "text": ["Kelompok itu harus diusir.\nMereka bukan bagian dari kita.", "Catatan liburan\nke pantai selatan."],
        "label": [1, 0],
    }))


def write_desrul(root: Path) -> None:
    path = root / desrul.FILE
    path.parent.mkdir(parents=True)
    pd.DataFrame({
        "Kalimat": [f"mantap pak {MAC_ROMAN_WINK}", "goblok semua pejabatnya", 12345],
        "label": [1, 3, 2],
    }).to_excel(path, index=False)


def write_bdc(root: Path) -> None:
    write_csv(root / bdc.FILE, pd.DataFrame({
        "ID": [1, 2, 3],
        "label": [1, 0, 1],
        "tanggal": ["17-Aug-20", "1-Jan-19", "2-Feb-18"],
        "judul": [": Minum air garam sembuhkan flu", "Klarifikasi dinas soal jadwal vaksin", "Pesan berantai bank"],
        "narasi": ["Minum air garam sembuhkan flu dalam sehari, sebarkan!", "Dinas menyatakan jadwal tetap.",
                   "Transfer ke @tokohpalsu hari ini https://contoh.invalid/x"],
        "nama file gambar": ["1.jpg", "2.png", "3.jpg"],
    }))


TBH_DEBUNK = "Surat suara sudah dicoblos di gudang kabupaten = = = Penjelasan: cek turnbackhoax.id, itu tidak benar."
TBH_QUOTED = "“Jalan tol baru runtuh tadi malam, semua lewat jalur lain” PENJELASAN: Disadur dari akun resmi."
TBH_PLACEHOLDER = "(Tidak ditampilkan) PENJELASAN: Beredar akun palsu yang mengatasnamakan pejabat."


def write_turnbackhoax(root: Path) -> None:
    for path, category, text in zip(turnbackhoax.FILES, ["politics", "scam", "others"],
                                    [TBH_DEBUNK, TBH_PLACEHOLDER, TBH_QUOTED]):
        write_csv(root / path, pd.DataFrame({
            "ID": [1], "TITLE": ["Judul pemeriksa"], "DATE": ["2 Jan 2024"], "HOAX_TEXT": [text],
            "LLM_CATEGORY": [category],
        }))


MAFINDO_CLAIM = "Bendungan besar jebol, warga segera mengungsi sekarang"
MAFINDO_FRAMED = (f"Akun Facebook Contoh pada 1 Mei 2024 mengunggah video [arsip] dengan narasi: \"{MAFINDO_CLAIM}\" "
                  "Per Selasa (2/5/2024), unggahan tersebut telah dibagikan 50 kali.")
MAFINDO_DESCRIPTION = "Beredar video yang diklaim memperlihatkan banjir besar di sebuah kota pesisir."
MAFINDO_PLAIN_CLAIM = "Pesan berantai: kuota gratis 50GB untuk semua pelanggan, klik tautan ini"
MAFINDO_PLAIN = f"[SALAH] {MAFINDO_PLAIN_CLAIM}"


def write_mafindo(root: Path) -> None:
    write_csv(root / mafindo.FILE, pd.DataFrame({
        "status": ["Salah"] * 3,
        "title": ["Judul pemeriksa satu", "Judul pemeriksa dua", "Judul pemeriksa tiga"],
        "content": [MAFINDO_FRAMED, MAFINDO_DESCRIPTION, MAFINDO_PLAIN],
        "fact": ["Faktanya bendungan aman menurut dinas."] * 3,
        "references": ["https://turnbackhoax.id/2024/05/02/salah-contoh/"] * 3,
        "tanggal": ["2024-05-02"] * 3,
        "conclusion": ["Konten palsu."] * 3,
    }))


def write_pilpres(root: Path) -> None:
    write_csv(root / pilpres.FILE, pd.DataFrame({
        "Judul Artikel": ["“Calon X mundur dari pemilu”", "Klarifikasi KPU soal jadwal debat", "Judul tanpa slug",
                          "KPU umumkan jadwal kampanye"],
        "Link": [
            "https://turnbackhoax.id/2023/09/01/salah-calon-x-mundur/",
            "https://turnbackhoax.id/2019/04/04/benar-klarifikasi-kpu/",
            "https://turnbackhoax.id/2019/04/30/22526/",
            "https://news.detik.com/berita/d-1/kpu-umumkan",
        ],
        "Waktu_Scraping": ["2023-10-13"] * 4,
        "Berita_Hoax": [True, True, True, False],
    }))


PRATIWI_VALID = "Kabar itu dibantah polisi.\nFAKTA:\nKepolisian menyatakan “tidak ada kejadian” di lokasi."
PRATIWI_HOAX = "Air rebusan daun ajaib sembuhkan semua penyakit.\nSebarkan!"


def write_pratiwi(root: Path) -> None:
    text = f'berita;tagging\r\n"{PRATIWI_VALID}";Valid\r\n"{PRATIWI_HOAX}";Hoax\r\n'  # quoted multi-line cells
    write(root / pratiwi.FILE, text, encoding="cp1252")


BLOG_TITLE = "Kenapa Saya Mendukung Calon A"


def write_blogs(root: Path) -> None:
    body = '"[""Paragraf satu.\u201a\u00c4\u00f4"",""Paragraf dua.""]"'  # JSON list; ‚Äô is ’ read as Mac Roman
    two = f"Tokoh;Event;Judul Artikel;Isi Artikel;stance final;\nahok;Pilgub DKI 2016;{BLOG_TITLE};{body};for;\n"
    write(root / blogs.FILES[0][0], "\ufeff" + two)
    write_csv(root / blogs.FILES[1][0], pd.DataFrame({
        "no": [1, 2], "_id": ["a", "b"], "topic": ["ahok", "jokowi"],
        "title": [BLOG_TITLE, "Catatan Debat Kedua"],
        "content": ['["Versi lama paragraf."]', "[ Debat kedua lebih tajam dari yang pertama. ]"],
        "stance": ["for", "against"], "source": ["http://blog.invalid/1", "http://blog.invalid/2"],
        "nnps": ["[]", "[]"],
    }))


BLACK_CAMPAIGN_RAW = f"@pemilik_akun Debat semalam lucu banget {CP1252_LAUGH} https://t.co/xyz"


def write_pools(root: Path) -> None:
    write_csv(root / black_campaign.FILE, pd.DataFrame({
        "created_at": ["Thu Oct 19 22:07:12 +0000 2023"], "username": ["akun_rahasia"], "text": [BLACK_CAMPAIGN_RAW],
        "prepros_text": ["debat semalam lucu"], "text_join": ["debat malam lucu"], "label": ["black-campaign"],
    }))
    write_csv(root / jatim.FILE, pd.DataFrame({
        "full_text": ["@calon_gub semoga menang, programnya jelas"], "username": ["warga_jatim"], "Label": [1],
        "tokoh": ["Calon"],
    }))
    write_csv(root / banten.FILE, pd.DataFrame({"Video Title": ["Debat Publik"], "Comment": ["NO 1 MENANG\nmantap"]}))


WRITERS = [write_ibrohim, write_alfina, write_netifier, write_nofaaulia, write_desrul, write_bdc, write_turnbackhoax,
           write_mafindo, write_pilpres, write_pratiwi, write_blogs, write_pools]


# --- shared helpers ----------------------------------------------------------------------------------------------

def test_row_key_is_stable():
    assert row_key("Contoh teks mentah") == "450fbee9be7b167f"


def test_repair_text_decodes_escapes_and_mojibake():
    assert repair_text(f"marah {IBROHIM_ANGRY}") == "marah 😡"
    assert repair_text(r"truncated \xf0\x9f\x98 \xff end \xf") == "truncated   end "
    assert repair_text(r"lucu \ud83d\ude02 https:\/\/t.co\/a\nbaris") == "lucu 😂 https://t.co/a\nbaris"
    assert repair_text(f"lucu {CP1252_LAUGH}") == "lucu 😂"
    assert repair_text(f"oke {MAC_ROMAN_WINK}", mojibake_codec="mac_roman") == "oke 😉"
    assert repair_text("hilang ð??\xad dan kata\xe2?? ini") == "hilang  dan kata ini"  # lossy ``?`` mojibake
    assert repair_text("A &amp B &gt; C\u200b") == "A & B > C"


def test_mask_identifiers():
    assert mask_identifiers("RT@abc: cek @x_y https://a.b/c www.d.e") == "RT@USER: cek @USER HTTPURL HTTPURL"
    assert mask_identifiers("kirim ke nama@surel.invalid") == "kirim ke nama@surel.invalid"


def test_strip_helpers():
    assert strip_verdict_tags("[HOAKS] Klaim palsu") .strip() == "Klaim palsu"
    assert strip_verdict_tags("SALAH: klaim") == "klaim"
    assert strip_verdict_tags("Salah satu calon") == "Salah satu calon"
    assert strip_verdict_tags("Isi.\nFakta:\nLanjutan") == "Isi.\n\nLanjutan"
    assert strip_wrapping_quotes("“klaim utuh”") == "klaim utuh"
    assert strip_wrapping_quotes('"A" kata "B"') == '"A" kata "B"'


# --- one test per loader -----------------------------------------------------------------------------------------

def test_ibrohim(tmp_path):
    write_ibrohim(tmp_path)
    raws = [tweet for tweet, _ in ibrohim_rows()]
    df = ibrohim.load(tmp_path)
    check_contract(df, ibrohim.SOURCE)
    religion = by_key(df, raws[0])
    assert (religion["label"], religion["subtype"]) == ("hate_speech", "religion")
    assert religion["text"] == "@USER kaum itu sesat semua 😡"  # escapes decoded, stray quote and USER token mapped
    assert by_key(df, raws[1])["subtype"] == "race+gender"
    assert row_key(raws[2]) not in set(df["row_key"])  # HS without identity target: dropped by default
    abusive = by_key(df, raws[3])
    assert (abusive["label"], abusive["subtype"]) == ("benign", "abusive")
    assert abusive["text"] == "anjir macet parah pagi ini HTTPURL"
    plain = by_key(df, raws[4])
    assert (plain["label"], plain["subtype"], plain["text"]) == ("benign", None, "café baru buka 🍵")
    assert len(df) == 4  # the empty tweet is dropped

    every_hs = ibrohim.load(tmp_path, hs_mapping="all")
    assert tuple(by_key(every_hs, raws[2])[["label", "subtype"]]) == ("hate_speech", "other")
    with pytest.raises(ValueError):
        ibrohim.load(tmp_path, hs_mapping="sara")


def test_alfina_cp1252_cr_only(tmp_path):
    write_alfina(tmp_path)
    df = alfina.load(tmp_path)
    check_contract(df, alfina.SOURCE)
    assert list(df["label"]) == ["hate_speech", "benign"]
    assert df["text"].iloc[0] == "Usir saja kaum itu dari kota ini…"  # cp1252 byte 0x85
    quoted = by_key(df, ALFINA_QUOTED[1:-1].replace('""', '"'))  # key: the tweet as parsed (CSV quoting removed)
    assert quoted["text"] == 'Debat "seru" malam ini 😂 HTTPURL'


def test_netifier(tmp_path):
    write_netifier(tmp_path)
    df = netifier.load(tmp_path)
    check_contract(df, netifier.SOURCE)
    assert list(zip(df["label"], df["subtype"])) == [("hate_speech", "sara"), ("benign", None), ("benign", None)]
    assert df["text"].iloc[0] == "kutipan lama agama itu sesat semua"  # quote tag (with username) and \n removed
    assert df["text"].iloc[1] == "jualan tas rotan murah, cek sekarang"


def test_nofaaulia(tmp_path):
    write_nofaaulia(tmp_path)
    df = nofaaulia.load(tmp_path)
    check_contract(df, nofaaulia.SOURCE)
    assert list(df["label"]) == ["hate_speech", "benign"]
    assert df["text"].iloc[1] == "Catatan liburan ke pantai selatan."


def test_desrul_mac_roman(tmp_path):
    write_desrul(tmp_path)
    df = desrul.load(tmp_path)
    check_contract(df, desrul.SOURCE)
    assert list(df["label"]) == ["benign"] * 3
    assert list(df["subtype"]) == [None, "abusive", "abusive"]
    assert df["text"].iloc[0] == "mantap pak 😉"
    assert df["text"].iloc[2] == "12345"


def test_bdc(tmp_path):
    write_bdc(tmp_path)
    df = bdc.load(tmp_path)
    check_contract(df, bdc.SOURCE)
    assert list(df["label"]) == ["hoax", "benign", "hoax"]
    assert df["text"].iloc[0] == "Minum air garam sembuhkan flu dalam sehari, sebarkan!"  # title repeated in body: once
    assert df["text"].iloc[2] == "Pesan berantai bank Transfer ke @USER hari ini HTTPURL"
    assert not df["text"].str.contains(r"\.jpg|\.png|17-Aug-20").any()
    raw_claim = ": Minum air garam sembuhkan flu\nMinum air garam sembuhkan flu dalam sehari, sebarkan!"
    assert df["row_key"].iloc[0] == row_key(raw_claim)  # key: judul + "\n" + narasi as read


def test_turnbackhoax_strips_debunk(tmp_path):
    write_turnbackhoax(tmp_path)
    df = turnbackhoax.load(tmp_path)
    check_contract(df, turnbackhoax.SOURCE)
    assert (df["label"] == "hoax").all()
    assert by_key(df, TBH_DEBUNK)["text"] == "Surat suara sudah dicoblos di gudang kabupaten"
    quoted = by_key(df, TBH_QUOTED)
    assert (quoted["text"], quoted["subtype"]) == ("Jalan tol baru runtuh tadi malam, semua lewat jalur lain", "others")
    assert row_key(TBH_PLACEHOLDER) not in set(df["row_key"])  # nothing left of the claim
    assert not df["text"].str.contains("(?i)penjelasan|turnbackhoax|tidak benar|Judul pemeriksa").any()


def test_mafindo_claim_only(tmp_path):
    write_mafindo(tmp_path)
    df = mafindo.load(tmp_path)
    check_contract(df, mafindo.SOURCE)
    assert (df["label"] == "hoax").all()
    assert by_key(df, MAFINDO_FRAMED)["text"] == MAFINDO_CLAIM
    assert by_key(df, MAFINDO_PLAIN)["text"] == MAFINDO_PLAIN_CLAIM
    assert row_key(MAFINDO_DESCRIPTION) not in set(df["row_key"])  # fact-checker description, no post inside
    assert row_key(MAFINDO_DESCRIPTION) in set(mafindo.load(tmp_path, keep_descriptions=True)["row_key"])
    assert not df["text"].str.contains("(?i)faktanya|turnbackhoax|salah|arsip|mengunggah|Judul pemeriksa").any()


def test_pilpres_never_returns_link(tmp_path):
    write_pilpres(tmp_path)
    df = pilpres.load(tmp_path)
    check_contract(df, pilpres.SOURCE)
    assert list(zip(df["text"], df["label"], df["subtype"])) == [
        ("Calon X mundur dari pemilu", "hoax", None),
        ("Klarifikasi KPU soal jadwal debat", "benign", "fact_check"),  # /benar- slug: not a hoax
        ("KPU umumkan jadwal kampanye", "benign", "headline"),
    ]  # the numeric-slug row is dropped: its verdict is unknown
    assert not df.astype(str).apply(lambda column: column.str.contains("turnbackhoax|detik|http")).any().any()
    face_value = pilpres.load(tmp_path, link_verdicts=False)
    assert list(face_value["label"]) == ["hoax", "hoax", "hoax", "benign"]


def test_pratiwi(tmp_path):
    write_pratiwi(tmp_path)
    df = pratiwi.load(tmp_path)
    check_contract(df, pratiwi.SOURCE)
    assert list(zip(df["label"], df["subtype"])) == [("benign", "debunk_article"), ("hoax", None)]
    assert df["text"].iloc[0] == 'Kabar itu dibantah polisi. Kepolisian menyatakan "tidak ada kejadian" di lokasi.'
    assert list(df["row_key"]) == [row_key(PRATIWI_VALID), row_key(PRATIWI_HOAX)]


def test_blogs(tmp_path):
    write_blogs(tmp_path)
    df = blogs.load(tmp_path)
    check_contract(df, blogs.SOURCE)
    assert list(df["text"]) == [
        "Kenapa Saya Mendukung Calon A Paragraf satu.' Paragraf dua.",  # 2018 version wins; Mac Roman ‚Äô -> ’ -> '
        "Catatan Debat Kedua Debat kedua lebih tajam dari yang pertama.",
    ]
    assert set(zip(df["label"], df["subtype"])) == {("benign", "political_blog")}


@pytest.mark.parametrize("module", [black_campaign, jatim, banten])
def test_pools_are_unlabelled(tmp_path, module):
    write_pools(tmp_path)
    df = module.load(tmp_path)
    check_contract(df, module.SOURCE)
    assert df["label"].isna().all() and df["subtype"].isna().all()
    assert not df["text"].str.contains("akun_rahasia|warga_jatim|pemilik_akun|calon_gub|black-campaign").any()


def test_black_campaign_repairs_mojibake_but_keys_raw(tmp_path):
    write_pools(tmp_path)
    row = by_key(black_campaign.load(tmp_path), BLACK_CAMPAIGN_RAW)
    assert row["text"] == "@USER Debat semalam lucu banget 😂 HTTPURL"


def test_registry_and_load_all(tmp_path):
    for writer in WRITERS:
        writer(tmp_path)
    assert "ibrohim_abusive" not in LOADERS and "stopwords_id" not in LOADERS
    assert POOL_SOURCES <= set(LOADERS)
    df = load_all(tmp_path)
    assert list(df.columns) == COLUMNS
    assert set(df["source"]) == set(LOADERS)
    assert df.loc[df["source"].isin(POOL_SOURCES), "label"].isna().all()
    assert df.loc[~df["source"].isin(POOL_SOURCES), "label"].notna().all()
    assert set(load_all(tmp_path, ["pratiwi2017_hoax_news"])["source"]) == {"pratiwi2017_hoax_news"}
    with pytest.raises(KeyError):
        load_all(tmp_path, ["ibrohim_abusive"])


# --- real data ---------------------------------------------------------------------------------------------------

REAL_DATA = Path(os.environ.get("PILKADA_DATA_DIR", REPO_ROOT.parent / "shared" / "datasets"))

#: Plausible rows per source on the real snapshot (measured counts ± a margin for small upstream changes).
EXPECTED_ROWS = {
    "ibrohim_multilabel_hs": (9_000, 9_800),
    "alfina_idhsd_pilkada_dki2017": (700, 713),
    "netifier_toxicity": (4_500, 4_800),
    "nofaaulia_hsd_facebook": (900, 906),
    "desrul_news_comments_abusive": (3_150, 3_184),
    "bdc2020_satriadata_hoax": (4_200, 4_231),
    "turnbackhoax2024_alharkan": (4_200, 4_500),  # ~3,670 claims + ~720 debunks left in the texts (benign)
    "mafindo_hoax_1k": (1_650, 1_900),  # ~780 claims + ~1,000 checker conclusions (benign)
    "pilpres2024_hoax_headlines": (5_400, 5_549),
    "pratiwi2017_hoax_news": (595, 600),
    "id_stance_political_blogs": (450, 560),
    "black_campaign_pilpres2024": (7_000, 7_025),
    "pilkada_jatim2024_tweets": (5_900, 5_950),
    "pilkada_banten2024_youtube": (2_400, 2_428),
}


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason=f"real datasets not found at {REAL_DATA}")
def test_load_all_on_real_data():
    started = time.perf_counter()
    df = load_all(REAL_DATA)
    elapsed = time.perf_counter() - started
    counts = df.groupby("source").size().to_dict()
    assert set(counts) == set(EXPECTED_ROWS)
    for source, (low, high) in EXPECTED_ROWS.items():
        assert low <= counts[source] <= high, f"{source}: {counts[source]} rows, expected {low}-{high}"
    assert df.loc[df["source"].isin(POOL_SOURCES), "label"].isna().all()
    labelled = df[~df["source"].isin(POOL_SOURCES)]
    assert labelled["label"].notna().all()
    assert labelled.groupby("source")["label"].nunique().min() >= 1
    claims = df[df["subtype"] != "fact_check"]  # a fact-checker's own debunk may name its site
    assert not claims["text"].str.contains(r"https?://|turnbackhoax\.id|\\x[0-9a-f]{2}|ðŸ|â€").any()
    hoax_sources = df[df["source"].isin(["turnbackhoax2024_alharkan", "mafindo_hoax_1k"]) & (df["label"] == "hoax")]
    assert not hoax_sources["text"].str.contains(r"(?i)= = =|\bpenjelasan\s*:|\breferensi\s*:|\[arsip\]").any()
    assert elapsed < 120, f"load_all took {elapsed:.0f} s"
