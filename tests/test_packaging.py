"""What a wheel install gets (issue 13, items 16-18; issue 15, item 4): the runtime package and the default model only,
no ``training`` package, no scikit-learn, SPDX licence metadata, one version string, ``python -m pilkada_nlp``."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import pilkada_nlp
from pilkada_nlp import models
from tests.conftest import REPO

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
#: Unpacked, the wheel with the default model holds ~8 MB (the model ~7 MB); the torch transformer alone would add 51.
MAX_WHEEL_BYTES = 12_000_000


def _copy_for_build(target: Path) -> Path:
    """The files a wheel is built from, copied so the build leaves no build/ or egg-info in the checkout."""
    for name in ("pyproject.toml", "README.md", "LICENSE", "MODEL_LICENSE.md"):
        shutil.copy2(REPO / name, target / name)
    shutil.copytree(REPO / "pilkada_nlp", target / "pilkada_nlp", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "training", target / "training", ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """A wheel built from this checkout with the installed setuptools (no download: the test extra pins it)."""
    pytest.importorskip("setuptools", minversion="77")
    source = _copy_for_build(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                           str(out), str(source)], capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = out.glob("pilkada_nlp-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def _metadata(wheel: zipfile.ZipFile) -> list[str]:
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    return wheel.read(name).decode("utf-8").split("\n\n", 1)[0].splitlines()


def test_wheel_holds_the_runtime_package_and_the_default_model_only(wheel):
    names = wheel.namelist()
    assert not [n for n in names if n.startswith("training/")]  # no top-level `training` in site-packages
    assert {n.split("/")[0] for n in names} == {"pilkada_nlp", f"pilkada_nlp-{pilkada_nlp.__version__}.dist-info"}
    shipped = {n.split("/")[2] for n in names if n.startswith("pilkada_nlp/models/") and n.count("/") == 3}
    assert shipped == {"default"}
    assert "pilkada_nlp/__main__.py" in names
    assert sum(info.file_size for info in wheel.infolist()) < MAX_WHEEL_BYTES


def test_wheel_metadata_spdx_licence_files_and_light_dependencies(wheel):
    metadata = _metadata(wheel)
    assert "License-Expression: Apache-2.0 AND LicenseRef-pilkada-nlp-model-noncommercial" in metadata
    assert {"License-File: LICENSE", "License-File: MODEL_LICENSE.md"} <= set(metadata)
    assert not [line for line in metadata if line.startswith("License:")]  # the deprecated table form is gone
    assert f"Version: {pilkada_nlp.__version__}" in metadata
    core = [line for line in metadata if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert not [line for line in core if "scikit-learn" in line or "torch" in line]
    names = wheel.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_pyproject_licence_build_backend_and_version():
    project = PYPROJECT["project"]
    assert isinstance(project["license"], str) and project["license-files"] == ["LICENSE", "MODEL_LICENSE.md"]
    assert "Apache License" in (REPO / "LICENSE").read_text(encoding="utf-8")[:200]
    (backend,) = PYPROJECT["build-system"]["requires"]
    assert backend.startswith("setuptools>=77") and ",<" in backend
    assert "version" not in project and project["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "pilkada_nlp.__version__"}
    assert importlib.metadata.version("pilkada-nlp") == pilkada_nlp.__version__
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"] == ["pilkada_nlp*"]
    for extra in ("training", "test"):
        assert any(dep.startswith("scikit-learn") for dep in project["optional-dependencies"][extra])


def test_inference_never_imports_scikit_learn(tiny_model_dir, tmp_path):
    """Classify, score a file, explain and show info with scikit-learn made unimportable."""
    (tmp_path / "in.csv").write_text("id,text\n1,amplop seratus ribu\n2,debat paslon\n", encoding="utf-8")
    script = f"""
import sys
sys.modules["sklearn"] = None  # any `import sklearn` now raises ImportError
import pilkada_nlp
from pilkada_nlp.cli import main
pilkada_nlp.classify(["amplop seratus ribu"], explain=True)
pilkada_nlp.classify("debat paslon", model={str(tiny_model_dir)!r}, explain=True)
pilkada_nlp.score_file({str(tmp_path / "in.csv")!r}, {str(tmp_path / "out.csv")!r}, text_column="text",
                       progress=False)
assert main(["info"]) == 0
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_python_dash_m_runs_the_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pilkada_nlp", "--version"], capture_output=True, text=True,
                          check=False, cwd=REPO)
    assert done.returncode == 0 and done.stdout.strip() == f"pilkada-nlp {pilkada_nlp.__version__}"


@pytest.mark.parametrize("name", models.CHECKOUT_MODELS)
def test_a_model_left_out_of_the_wheel_says_how_to_get_it(name, tmp_path, monkeypatch):
    """A wheel install holds only ``default``: the others get a one-line error naming both ways to load them."""
    (tmp_path / "default").symlink_to(models.SHIPPED_DIR / "default")
    monkeypatch.setattr(models, "SHIPPED_DIR", tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        models.load_model(name)
    message = str(error.value)
    assert "\n" not in message and "pip install -e '.[transformer]'" in message
    assert f"load_model('<clone>/pilkada_nlp/models/{name}')" in message


def test_a_checkouts_ensemble_loaded_by_path_finds_its_members_beside_it(tmp_path, monkeypatch):
    """From a wheel install (no shipped transformer), ``load_model('<clone>/pilkada_nlp/models/ensemble')`` uses the
    clone's transformer, and the shipped name for the default the wheel does have."""
    (tmp_path / "wheel").mkdir()
    (tmp_path / "wheel" / "default").symlink_to(models.SHIPPED_DIR / "default")
    monkeypatch.setattr(models, "SHIPPED_DIR", tmp_path / "wheel")
    clone = tmp_path / "clone"
    for name in ("ensemble", "transformer"):
        (clone / name).mkdir(parents=True)
        (clone / name / "model.json").write_text("{}", encoding="utf-8")
    from pilkada_nlp.backends.ensemble import member_directory

    assert member_directory(clone / "ensemble", "transformer") == (clone / "transformer").resolve()
    assert member_directory(clone / "ensemble", "default") == tmp_path / "wheel" / "default"
