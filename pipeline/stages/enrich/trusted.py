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


def _plain(cls: type[BaseModel]) -> bool:
    return (
        not cls.__pydantic_root_model__
        and cls.__pydantic_post_init__ is None
        and not cls.__private_attributes__
        and cls.model_config.get("extra") != "allow"
        and all(f.alias is None and f.validation_alias is None for f in cls.model_fields.values())
    )


def trusted(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """A builder of ``cls`` from a dict holding every field, in declaration order, of already valid values."""
    if not _plain(cls):
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
