"""``notebooks/batch_scoring.ipynb`` runs top to bottom (so it can't rot) and is committed without outputs."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO

NOTEBOOK = REPO / "notebooks" / "batch_scoring.ipynb"


def test_notebook_is_committed_without_outputs():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code and all(not cell["outputs"] and cell["execution_count"] is None for cell in code)


def test_notebook_runs(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    pytest.importorskip("pyarrow")
    monkeypatch.setenv("PILKADA_NLP_NOTEBOOK_OUT", str(tmp_path))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2  # label distribution and histograms
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.json", "review.csv", "scored.csv"]
    review = (tmp_path / "review.csv").read_text(encoding="utf-8").splitlines()
    assert "gold_label" in review[0] and len(review) > 1
