"""The project's trained scikit-learn models as data files: parameters and vocabularies in
JSON, arrays in numpy's format read without pickle.

joblib (pickle) runs whatever a planted model file tells it to, so a model file would be
code. Here a file can only name estimators from a short list (`_CODECS`), which are rebuilt
from their constructor parameters and fitted arrays; anything else is refused.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from bot.nlu.text_classifier import TextClassifier

STRUCTURE_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
FORMAT = 1


class ModelFileError(ValueError):
    """A model file that is not one this module wrote."""


def _parameters(model: Any) -> dict[str, Any]:
    if isinstance(model, BaseEstimator):
        return model.get_params(deep=False)
    return {field.name: getattr(model, field.name) for field in dataclasses.fields(model)}


def _rebuilt(kind: type, parameters: dict[str, Any], fitted: dict[str, Any]) -> Any:
    model = kind(**parameters)
    for name, value in fitted.items():
        setattr(model, name, value)
    return model


@dataclass(frozen=True)
class _Codec:
    """How one kind of model becomes plain data and back: its constructor's parameters, and
    the attributes training set (`fitted`), the only ones a file may set."""

    kind: type
    fitted: tuple[str, ...]

    def parameters(self, model: Any) -> dict[str, Any]:
        return _parameters(model)

    def learned(self, model: Any) -> dict[str, Any]:
        return {name: getattr(model, name) for name in self.fitted}

    def rebuild(self, parameters: dict[str, Any], fitted: dict[str, Any]) -> Any:
        return _rebuilt(self.kind, parameters, fitted)


class _VectorizerCodec(_Codec):
    """A tf-idf vectorizer: its vocabulary as the list of its terms, in column order."""

    def parameters(self, model: Any) -> dict[str, Any]:
        parameters = _parameters(model)
        if parameters.pop("dtype") is not np.float64 or not model.use_idf:
            raise ModelFileError("only float64 tf-idf vectorizers with idf weights are saved as data")
        del parameters["vocabulary"]  # fitted data, below
        return parameters

    def learned(self, model: Any) -> dict[str, Any]:
        return {"terms": sorted(model.vocabulary_, key=model.vocabulary_.__getitem__), "idf_": model.idf_}

    def rebuild(self, parameters: dict[str, Any], fitted: dict[str, Any]) -> Any:
        if parameters.get("input", "content") != "content":  # "filename" would open files a message names
            raise ModelFileError("a vectorizer must read the text it is given")
        vectorizer = TfidfVectorizer(**parameters, vocabulary={term: n for n, term in enumerate(fitted["terms"])})
        vectorizer.idf_ = fitted["idf_"]  # checked against the vocabulary's size
        return vectorizer


class _LinearCodec(_Codec):
    """A linear model, its coefficients laid out for predicting one message at a time.

    scikit-learn multiplies a sparse row by `coef_.T`; scipy makes that operand contiguous
    first, which copies the whole (classes x features) matrix on every call unless `coef_` is
    stored column-major: the copies were a tenth of a message's parse time (`bench/nlu_parse.py`)."""

    def rebuild(self, parameters: dict[str, Any], fitted: dict[str, Any]) -> Any:
        model = super().rebuild(parameters, fitted)
        model.coef_ = np.asfortranarray(model.coef_)
        return model


_CODECS = {
    codec.kind.__name__: codec
    for codec in (
        _VectorizerCodec(TfidfVectorizer, ("terms", "idf_")),
        _Codec(TfidfTransformer, ("idf_", "n_features_in_")),
        _LinearCodec(LogisticRegression, ("classes_", "coef_", "intercept_", "n_iter_", "n_features_in_")),
        _Codec(FeatureUnion, ()),
        _Codec(TextClassifier, ()),
    )
}


class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float, np.integer, np.floating)):
            return value.item() if isinstance(value, np.generic) else value
        if isinstance(value, np.ndarray):
            if value.dtype == object:  # labels read from YAML: plain strings
                value = value.astype(str)
            name = str(len(self.arrays))
            self.arrays[name] = value
            return {"array": name}
        if isinstance(value, (list, tuple)):
            return {type(value).__name__: [self.encode(item) for item in value]}
        if isinstance(value, dict) and all(isinstance(key, str) for key in value):
            return {"dict": {key: self.encode(item) for key, item in value.items()}}
        codec = _CODECS.get(type(value).__name__)
        if codec is None or type(value) is not codec.kind:
            raise ModelFileError(f"{type(value).__name__} is not a model this project saves as data")
        return {
            "model": codec.kind.__name__,
            "parameters": self.encode(codec.parameters(value)),
            "fitted": self.encode(codec.learned(value)),
        }


class _Reader:
    def __init__(self, arrays: Any) -> None:
        self.arrays = arrays

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or len(node) not in (1, 3):
            raise ModelFileError(f"unexpected entry {str(node)[:80]!r}")
        if "array" in node:
            return self._array(node["array"])
        if "list" in node or "tuple" in node:
            items = [self.decode(item) for item in self._list(node.get("list", node.get("tuple")))]
            return items if "list" in node else tuple(items)
        if "dict" in node and isinstance(node["dict"], dict):
            return {str(key): self.decode(item) for key, item in node["dict"].items()}
        if set(node) == {"model", "parameters", "fitted"} and node["model"] in _CODECS:
            return self._model(node)
        raise ModelFileError(f"unexpected entry {str(node)[:80]!r}")

    def _array(self, name: Any) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays.files:
            raise ModelFileError(f"no array {name!r} in {ARRAYS_FILE}")
        return self.arrays[name]  # numpy refuses pickled (object) arrays here

    @staticmethod
    def _list(items: Any) -> list:
        if not isinstance(items, list):
            raise ModelFileError(f"expected a list, not {str(items)[:80]!r}")
        return items

    def _model(self, node: dict[str, Any]) -> Any:
        codec = _CODECS[node["model"]]
        parameters, fitted = self.decode(node["parameters"]), self.decode(node["fitted"])
        if not isinstance(parameters, dict) or not isinstance(fitted, dict):
            raise ModelFileError(f"{node['model']}: parameters and fitted data must be mappings")
        if set(fitted) != set(codec.fitted):
            raise ModelFileError(f"{node['model']}: unexpected fitted data {sorted(set(fitted))}")
        try:
            return codec.rebuild(parameters, fitted)
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"{node['model']} cannot be rebuilt: {error}") from error


def save(model: Any, directory: Path) -> None:
    writer = _Writer()
    structure = {"format": FORMAT, "model": writer.encode(model)}
    np.savez(directory / ARRAYS_FILE, **writer.arrays)
    (directory / STRUCTURE_FILE).write_text(json.dumps(structure), encoding="utf-8")


def load(directory: Path) -> Any:
    """The model saved in `directory`; FileNotFoundError if none was, ModelFileError if the files are not ours."""
    text = (directory / STRUCTURE_FILE).read_text(encoding="utf-8")
    try:
        structure = json.loads(text)
        with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
            if not isinstance(structure, dict) or structure.get("format") != FORMAT:
                raise ModelFileError(f"{STRUCTURE_FILE} is not format {FORMAT}")
            return _Reader(arrays).decode(structure.get("model"))
    except ModelFileError:
        raise
    except (ValueError, OSError) as error:  # not JSON; numpy's refusal of a pickle, or of a file that is not .npz
        raise ModelFileError(f"{directory.name}: {error}") from error
