"""Models built from values the enrich stage produced itself, without re-validation.

``Model.model_construct`` walks every field's aliases and defaults on each call; for the tags, spans and the
enriched story (tens of objects per story) that walk cost more than the tagging rules. :func:`trusted` returns a
builder that does what ``model_construct`` does for a model with no aliases, no private attributes, no
``model_post_init`` and no extra fields, when every field is given in declaration order: set ``__dict__`` and the
fields set. Models that do not qualify get ``model_construct`` itself. ``tests/unit/enrich/test_enrich_trusted.py``
checks that the results dump byte for byte like validated models and validate again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

_set = object.__setattr__
M = TypeVar("M", bound=BaseModel)


def is_plain(cls: type[BaseModel]) -> bool:
    """Whether :func:`trusted` builds ``cls`` directly (else it uses ``model_construct``)."""
    return (
        not cls.__pydantic_root_model__
        and cls.__pydantic_post_init__ is None
        and not cls.__private_attributes__
        and cls.model_config.get("extra") != "allow"
        and all(f.alias is None and f.validation_alias is None for f in cls.model_fields.values())
    )


def trusted(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """A builder of ``cls`` from a dict holding every field, in declaration order, of already valid values."""
    if not is_plain(cls):
        return lambda values: cls.model_construct(**values)
    new = cls.__new__

    def build(values: dict[str, Any]) -> M:
        m = new(cls)
        _set(m, "__dict__", values)
        _set(m, "__pydantic_fields_set__", set(values))
        _set(m, "__pydantic_extra__", None)
        _set(m, "__pydantic_private__", None)
        return m

    return build


def trusted_copy(cls: type[M]) -> Callable[[M, dict[str, Any]], M]:
    """A copier doing what ``model.model_copy(update=update)`` does for ``cls`` (a shallow copy of the fields with
    ``update`` applied, the fields set grown by its keys) without the generic copy; ``model_copy`` itself for
    models :func:`trusted` would not build directly."""
    if not is_plain(cls):
        return lambda model, update: model.model_copy(update=update)
    new = cls.__new__

    def copy(model: M, update: dict[str, Any]) -> M:
        m = new(cls)
        values = dict(model.__dict__)
        values.update(update)
        fields_set = set(model.__pydantic_fields_set__)
        fields_set.update(update)
        _set(m, "__dict__", values)
        _set(m, "__pydantic_fields_set__", fields_set)
        _set(m, "__pydantic_extra__", None)
        _set(m, "__pydantic_private__", None)
        return m

    return copy


def trusted_all(cls: type[M]) -> Callable[[list[dict[str, Any]]], list[M]]:
    """Like :func:`trusted`, for a list of dicts at once (one call for all of them, not one per object)."""
    if not is_plain(cls):
        return lambda rows: [cls.model_construct(**values) for values in rows]
    new = cls.__new__

    def build_all(rows: list[dict[str, Any]]) -> list[M]:
        out = []
        for values in rows:
            m = new(cls)
            _set(m, "__dict__", values)
            _set(m, "__pydantic_fields_set__", set(values))
            _set(m, "__pydantic_extra__", None)
            _set(m, "__pydantic_private__", None)
            out.append(m)
        return out

    return build_all
