"""Authored rewrites of a claim ``{c}`` that assert it, question it or debunk it (written for this project).

The stance step (``pilkada_nlp.factcheck.stance``) is trained on the ``TRAIN`` templates applied to training claims,
and measured on the ``HELDOUT`` templates applied to held-out claims, so a test pair shares neither its claim nor its
framing with any training pair. Paraphrase variants for the retrieval benchmark are here too.
"""

from __future__ import annotations

import hashlib

TRAIN = {
    "asserts": [
        "{c}", "{c}!!", "Sebarkan! {c}", "{c}. Viralkan sebelum dihapus!", "Info penting buat semua: {c}",
        "Waspada, {c}", "Innalillahi, {c}", "Gila, {c}. Parah banget", "Baru dapat kabar dari grup keluarga: {c}",
        "Fakta yang ditutupi media: {c}", "{c} Tolong share ke grup lain", "Breaking news: {c}",
        "Akhirnya terbongkar juga, {c}", "Saya sudah duga dari awal, {c}", "Ternyata {c}. Makin yakin saya",
        "Kejadian hari ini: {c}. Semoga kita semua dilindungi",
    ],
    "questions": [
        "Benarkah {c}?", "Apa benar {c}?", "{c}, ini beneran gak sih?", "Ada yang tahu soal ini? {c}",
        "Mohon dicek, {c} itu benar atau tidak?", "Apakah {c}?", "Katanya {c}. Betul nggak?",
        "Serius {c}? Sumbernya dari mana ya?", "Dapat pesan begini: {c}. Ini hoaks bukan ya?",
        "Min, tolong cek kebenaran info ini: {c}", "Beneran {c}? Kok saya baru dengar",
        "Ada yang bisa jelaskan, {c} itu faktanya gimana?",
    ],
    "debunks": [
        "HOAKS: {c}. Faktanya tidak ada kejadian seperti itu", "Tidak benar bahwa {c}", "Jangan percaya, {c} itu hoaks",
        "Klarifikasi: kabar {c} adalah tidak benar", "[SALAH] {c}",
        "Cek fakta: {c}. Hasil penelusuran menunjukkan klaim itu keliru",
        "Beredar klaim {c}. Klaim tersebut sudah dibantah pihak berwenang", "Stop sebar hoaks! {c} itu tidak terbukti",
        "{c} adalah disinformasi, videonya lama dan dari tempat lain",
        "Waspada hoaks, pesan berantai soal {c} itu palsu", "Yang bilang {c} itu salah besar, sudah dicek",
        "Narasi {c} merupakan konten yang menyesatkan",
    ],
}

HELDOUT = {
    "asserts": [
        "Kalian harus tahu, {c}", "{c}. Jangan diam saja, bagikan!", "Ini nyata terjadi: {c}",
        "Teman saya yang kerja di sana bilang {c}", "Astaghfirullah, {c}. Sedih lihatnya",
    ],
    "questions": [
        "Masa sih {c}?", "{c}? Ada yang bisa konfirmasi?", "Bener gak sih kalau {c}?", "Saya ragu, apa iya {c}?",
        "Tolong dong yang paham, {c} itu asli atau editan?",
    ],
    "debunks": [
        "Sudah dicek, {c} itu bohong", "Info {c} itu menyesatkan, jangan ikut menyebarkan",
        "Faktanya, {c} tidak pernah terjadi", "Polisi membantah kabar {c}",
        "Hati-hati, unggahan {c} sudah dinyatakan hoaks oleh pemeriksa fakta",
    ],
}


def apply(template: str, claim: str) -> str:
    claim = claim.strip().rstrip(".!?")
    return template.replace("{c}", claim)


# --- paraphrase and truncation variants for the retrieval benchmark ----------------------------------------------

#: Word -> a synonym or colloquial form, as a post would word the claim differently from the checker's title.
SYNONYMS = {
    "video": "rekaman", "foto": "gambar", "beredar": "tersebar", "presiden": "kepala negara", "warga": "masyarakat",
    "uang": "duit", "memberikan": "kasih", "membagikan": "bagi-bagi", "mengatakan": "bilang", "menyebut": "bilang",
    "tidak": "gak", "sudah": "udah", "akan": "bakal", "saja": "aja", "sangat": "banget", "meninggal": "wafat",
    "ditangkap": "diciduk", "kecelakaan": "tabrakan", "gratis": "cuma-cuma", "menjadi": "jadi", "memakai": "pakai",
    "mengajak": "ngajak", "anak": "bocah", "polisi": "aparat", "pemerintah": "rezim", "rakyat": "masyarakat",
    "bantuan": "bansos", "pemilu": "pemilihan umum", "curang": "main curang", "kecurangan": "kecurangan besar",
    "resmi": "sah", "menolak": "tolak", "mendukung": "dukung", "membuat": "bikin", "melihat": "lihat",
    "dengan": "sama", "karena": "gara-gara", "hanya": "cuma", "banyak": "banyak sekali", "besar": "gede",
    "kecil": "sedikit", "baru": "terbaru", "lama": "jadul", "mengungkap": "bongkar", "menggunakan": "pakai",
    "masyarakat": "warga", "pendukung": "simpatisan", "calon": "kandidat", "suara": "hak suara",
    "menang": "unggul", "kalah": "keok", "dibakar": "dibakar habis", "ribuan": "beribu", "jutaan": "berjuta",
    "diduga": "katanya", "terbukti": "ketahuan", "dilarang": "tidak boleh", "wajib": "harus",
}
#: Words a post leaves out.
DROPPED = {"tersebut", "adalah", "yang", "ini", "itu", "telah", "para", "sebuah", "oleh"}
FRAMES = ["{c}", "Info grup sebelah: {c}", "Kabar terbaru, {c}", "{c}. Sebarkan!", "Tolong disebar: {c}",
          "Hati-hati, {c}"]


def _pick(text: str, options: list[str]) -> str:
    return options[int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % len(options)]


def paraphrase(text: str) -> str:
    """A deterministic rule-based rewording: synonyms and slang, dropped function words, clause order, a framing."""
    words = []
    for word in text.split():
        core = word.strip(".,!?:;\"'()").lower()
        if core in DROPPED:
            continue
        words.append(SYNONYMS.get(core, word))
    sentence = " ".join(words)
    if ", " in sentence:
        head, _, tail = sentence.partition(", ")
        sentence = f"{tail.rstrip('.!?')}, {head}"
    return apply(_pick(text, FRAMES), sentence)


def truncate(text: str, share: float = 0.5, min_words: int = 6) -> str:
    """The first ``share`` of the words (at least ``min_words``): a post that repeats only the start of a claim."""
    words = text.split()
    keep = max(min_words, int(len(words) * share))
    return " ".join(words[:keep])
