"""The ``pilkada-nlp`` command for classify and info, run in-process through ``main(argv)``."""

from __future__ import annotations

import io
import json

import pytest

from pilkada_nlp import LABELS
from pilkada_nlp.cli import main


def test_classify_prints_a_table(tiny_model_dir, capsys):
    assert main(["classify", "--model", str(tiny_model_dir), "amplop seratus ribu coblos nomor dua", "debat paslon"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("label")
    assert len(lines) == 3
    assert lines[1].split()[0] in LABELS


def test_classify_json_reads_stdin_and_explains(tiny_model_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("amplop seratus ribu\n\nsurat suara sudah dicoblos\n"))
    assert main(["classify", "--model", str(tiny_model_dir), "--json", "--explain"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in rows] == ["amplop seratus ribu", "", "surat suara sudah dicoblos"]  # aligned
    for row in rows:
        assert set(row["scores"]) == set(LABELS)
        if row["text"]:
            assert abs(sum(row["scores"].values()) - 1) < 1e-6
            assert isinstance(row["explanation"], list)
        else:  # empty text: nothing to score (README, "Bad input")
            assert set(row["scores"].values()) == {None} and row["warning"] == "empty text"


def test_classify_without_input_is_a_usage_error(tiny_model_dir, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as exit_info:
        main(["classify", "--model", str(tiny_model_dir)])
    assert exit_info.value.code == 2


def test_info_shows_labels_and_licences(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for label in LABELS:
        assert label in out
    assert "CC BY-NC-SA 4.0" in out
    assert "real_test" in out


def test_info_json(capsys):
    assert main(["info", "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["labels"] == list(LABELS)
    assert "files" not in meta


def test_closed_pipe_ends_quietly(tiny_model_dir):
    """``pilkada-nlp classify ... | head -1`` must not end in a BrokenPipeError traceback."""
    import subprocess
    import sys

    lines = "".join(f"amplop seratus ribu nomor {i}\n" for i in range(3000))
    process = subprocess.Popen([sys.executable, "-m", "pilkada_nlp.cli", "classify", "--model", str(tiny_model_dir)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdin.write(lines.encode())
    process.stdin.close()
    assert process.stdout.readline().decode().startswith("label")
    process.stdout.close()  # what ``head`` does after its first line
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in stderr


def test_unknown_model_is_a_one_line_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["classify", "--model", "no-such-model", "halo"])
    assert exit_info.value.code == 2
    assert "--model no-such-model: no model named 'no-such-model'" in capsys.readouterr().err
