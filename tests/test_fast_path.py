"""The fast paths give exactly what their reference paths give: normalisation, n-gram features and classifier outputs.

Compared on fixed hostile strings and on random ones from Hypothesis (:mod:`tests.hostile`); equality is exact
(``==`` on strings, ``array_equal`` on floats), never approximate.
"""

from __future__ import annotations

import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings

from pilkada_nlp.text import SUPPORTED_VERSIONS, normalize, normalize_reference
from tests.hostile import FIXED_CASES, hostile_texts

SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_normalize_equals_reference_on_fixed_cases(version):
    for text in FIXED_CASES:
        assert normalize(text, version) == normalize_reference(text, version), repr(text)


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
@SETTINGS
@given(text=hostile_texts())
def test_normalize_equals_reference_on_random_hostile_strings(version, text):
    assert normalize(text, version) == normalize_reference(text, version)


def test_normalize_equals_reference_when_the_chunk_cache_is_warm():
    text = "😂😂 mantap 👍🏽 x😂y 😂\u200d"
    first = [normalize(text), normalize(text)]
    assert first == [normalize_reference(text)] * 2
