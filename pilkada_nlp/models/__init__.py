"""Loading models: shipped ones by name (``pilkada_nlp/models/<name>/``) or any model directory by path.

``load_model`` reads the manifest first, validates it and verifies every file's checksum
(:mod:`pilkada_nlp.models.manifest`), checks the normaliser version, then picks the backend the manifest names.
Results are cached per resolved directory, so ``classify`` never reloads.
"""

from __future__ import annotations

import zipfile
from functools import lru_cache
from pathlib import Path

from pilkada_nlp.models.classifier import Classifier
from pilkada_nlp.models.manifest import MANIFEST, ModelFileError, read_manifest
from pilkada_nlp.text import SUPPORTED_VERSIONS

DEFAULT_MODEL = "default"
#: What reading a damaged model directory raises besides :class:`ModelFileError`.
_MALFORMED = (KeyError, TypeError, AttributeError, IndexError, ValueError, EOFError, zipfile.BadZipFile)
SHIPPED_DIR = Path(__file__).parent
#: Models kept in the repository but left out of the wheel: the torch ones (the transformer's weights are 51 MB) and
#: ``linear_v1``, the previous default, kept only as the ensemble's member. In a checkout (``pip install -e``) they
#: load by name like the default; elsewhere :func:`resolve` says how.
CHECKOUT_MODELS = ("ensemble", "transformer", "linear_v1")
#: Other names for shipped models. ``fast`` is the linear model, for callers that want its speed whatever the
#: default becomes; today the default is that linear model.
ALIASES = {"fast": DEFAULT_MODEL}


def available_models() -> list[str]:
    """Names of the models shipped inside the package (aliases included)."""
    names = {p.parent.name for p in SHIPPED_DIR.glob("*/model.json")}
    return sorted(names | {alias for alias, target in ALIASES.items() if target in names})


def resolve(name_or_path: str | Path | None) -> Path:
    """The model directory for a shipped name, or for a path."""
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    if isinstance(name_or_path, str):
        name_or_path = ALIASES.get(name_or_path, name_or_path)
    shipped = SHIPPED_DIR / str(name_or_path)
    if isinstance(name_or_path, str) and "/" not in name_or_path and (shipped / "model.json").is_file():
        return shipped
    path = Path(name_or_path).expanduser()
    if name_or_path in CHECKOUT_MODELS and not path.is_dir():
        raise FileNotFoundError(
            f"model {name_or_path!r} is not in this install (the wheel ships only {DEFAULT_MODEL!r}; {name_or_path!r} "
            f"needs torch): in a clone of the repository run pip install -e '.[transformer]', or pass its folder, "
            f"load_model('<clone>/pilkada_nlp/models/{name_or_path}')"
        )
    if not path.is_dir():
        raise FileNotFoundError(
            f"no model named {str(name_or_path)!r}: not a shipped model ({', '.join(available_models()) or 'none'}) "
            f"and not a directory"
        )
    return path.resolve()


def load_model(name_or_path: str | Path | None = None, *, quantize: str | None = None) -> Classifier:
    """Load a model: ``None`` for the shipped default, a shipped name, or a model directory.

    ``quantize="int8"`` quantises the linear layers of every transformer in the model (a transformer, or an
    ensemble's transformer members) when it loads: faster on CPU, scores differ slightly from the calibrated ones.

    Raises ``FileNotFoundError`` for an unknown name and :class:`ModelFileError` (a ``ValueError``) for a directory
    whose files are missing, unlisted, oversized, unsafe (pickle) or fail their sha256 check, whose manifest has a
    field of the wrong type or out of range, or for ``quantize`` on a model without a transformer.
    """
    directory = resolve(name_or_path)
    try:
        return _load(directory, quantize)
    except ModelFileError:
        raise
    except _MALFORMED as error:
        # a manifest field missing or of the wrong type, a weight file that passes its checksum but can't be parsed:
        # one line naming the folder, not a traceback from deep inside a backend
        message = " ".join(str(error).split())[:300]
        raise ModelFileError(f"{directory}: malformed model ({MANIFEST} or a weight file): "
                             f"{type(error).__name__}: {message}") from None


@lru_cache(maxsize=8)
def _load(directory: Path, quantize: str | None = None) -> Classifier:
    manifest = read_manifest(directory)
    backend_name = manifest.get("backend")
    if backend_name != "ensemble" and manifest.get("normalizer_version") not in SUPPORTED_VERSIONS:
        raise ModelFileError(
            f"{directory}: trained with normaliser version {manifest.get('normalizer_version')!r}, "
            f"this package supports {', '.join(SUPPORTED_VERSIONS)}; retrain the model or install the matching pilkada-nlp"
        )
    if backend_name == "linear":
        from pilkada_nlp.backends.linear import LinearBackend

        if quantize is not None:
            raise ModelFileError(f"{directory}: quantize={quantize!r} needs a transformer model; this one is linear")
        backend = LinearBackend.load(directory, manifest["labels"])
    elif backend_name == "transformer":
        from pilkada_nlp.backends.transformer import TransformerBackend

        backend = TransformerBackend.load(directory, manifest, quantize)
    elif backend_name == "onnx":
        from pilkada_nlp.backends.onnx import OnnxBackend

        if quantize is not None:
            raise ModelFileError(f"{directory}: quantize={quantize!r} applies at load to torch models; an ONNX model "
                                 "is quantised when exported (training/export_onnx.py --quantize int8)")
        backend = OnnxBackend.load(directory, manifest)
    elif backend_name == "ensemble":
        from pilkada_nlp.backends.ensemble import EnsembleBackend

        def load_member(path: Path) -> Classifier:
            is_transformer = read_manifest(path, verify=False).get("backend") == "transformer"
            return _load(path, quantize if is_transformer else None)

        backend = EnsembleBackend.load(directory, manifest, load_member)
    else:
        raise ModelFileError(f"{directory}: unknown backend {backend_name!r}")
    return Classifier(backend, manifest, directory)


__all__ = ["Classifier", "ModelFileError", "available_models", "load_model"]
