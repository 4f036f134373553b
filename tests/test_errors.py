"""One exception tree: every exception faqbot defines is a FaqbotError, and errors.py draws it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import faqbot
from faqbot import errors
from faqbot.errors import FaqbotError


def _faqbot_exceptions() -> list[type[BaseException]]:
    found = []
    for module in pkgutil.walk_packages(faqbot.__path__, "faqbot."):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        for _, value in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == loaded.__name__:
                found.append(value)
    return found


def test_every_faqbot_exception_belongs_to_the_one_tree() -> None:
    exceptions = _faqbot_exceptions()
    assert len(exceptions) > 10
    outside = [f"{e.__module__}.{e.__name__}" for e in exceptions if not issubclass(e, FaqbotError)]
    assert not outside


def test_the_tree_drawn_in_errors_names_every_exception() -> None:
    drawing = errors.__doc__ or ""
    missing = [e.__name__ for e in _faqbot_exceptions() if e.__name__ not in drawing]
    assert not missing
