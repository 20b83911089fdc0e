"""The commands that need the repository (``train``, ``review-import``): find a checkout and import its training code.

``training/`` is not installed with the package: a top-level package named ``training`` would clash with other
projects' modules, and ``review-import`` must write labels into the repository's ``data/``, never into site-packages.
So these commands look for a checkout, first above the imported package (an editable install, or running from the
source tree), then in the current directory and its parents, and say what is missing when there is none, or when the
``[training]`` extra is not installed.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

#: What to run in a checkout to get the training code's dependencies.
TRAINING_INSTALL = "pip install -e '.[training]'"
#: Import names whose package on PyPI is called otherwise, so the message names what pip knows.
_PACKAGE_NAMES = {"sklearn": "scikit-learn"}


class CheckoutError(RuntimeError):
    """A command needs the repository checkout, or the ``[training]`` extra, and doesn't have it."""


def is_checkout(path: Path) -> bool:
    """Whether ``path`` is the root of a pilkada-nlp repository checkout."""
    return (path / "pyproject.toml").is_file() and (path / "training" / "__init__.py").is_file() and (
        path / "pilkada_nlp" / "__init__.py"
    ).is_file()


def find_checkout(cwd: Path | None = None) -> Path | None:
    """The checkout holding the imported package, else the first of ``cwd`` (default: the current directory) and its
    parents that is one; ``None`` when neither is."""
    package_root = Path(__file__).resolve().parents[1]
    here = (cwd or Path.cwd()).resolve()
    for candidate in (package_root, here, *here.parents):
        if is_checkout(candidate):
            return candidate
    return None


def import_training(module: str, command: str) -> ModuleType:
    """``training.<module>`` from the checkout, for ``pilkada-nlp <command>``.

    Raises :class:`CheckoutError` with a one-line message: no checkout found, or a dependency of the ``[training]``
    extra (``ftfy``, ``scikit-learn``, ...) missing, naming the install command.
    """
    root = find_checkout()
    if root is None:
        raise CheckoutError(
            f"`pilkada-nlp {command}` needs a checkout of the pilkada-nlp repository (its training/ code and data/ are "
            f"not installed with the package): clone it, run {TRAINING_INSTALL} there, and run the command inside it"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        return importlib.import_module(f"training.{module}")
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] == "training":
            raise  # the checkout itself is broken: a real bug, keep its traceback
        package = _PACKAGE_NAMES.get(error.name.split(".")[0], error.name)
        raise CheckoutError(
            f"`pilkada-nlp {command}` needs the [training] extra ({package} is not installed): "
            f"run {TRAINING_INSTALL} in {root}"
        ) from None
