"""``import pilkada_nlp`` (and using the linear model) must not import torch: the default install has none."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_import_and_linear_use_do_not_import_torch():
    code = (
        "import sys, pilkada_nlp, pilkada_nlp.backends.transformer, pilkada_nlp.cli\n"
        "pilkada_nlp.classify('ayo ke tps')\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'datasets') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
