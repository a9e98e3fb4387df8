"""Server-rendered pages: the Jinja2 environment, language and format negotiation.

Chinese is the first language of every page; an English reader gets English first with the
Chinese beside it. ``?lang=zh|en`` chooses explicitly (the pages link to the other
language), else ``Accept-Language``, else Chinese. A sentence's parameters are escaped values,
or ``Word``s (``word(key)`` in a template), which each language's sentence takes in its own
language; a ``count`` of 1 takes the sentence's ``<key>.one`` form where there is one.
Autoescaping is on for every template, and the words of a sentence are escaped before they
are put into it, so recorded text (a product name, a reason) can never become markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from api.scan.vocabulary import WORDS
from ledger.consumer.timeline import local_date, local_minute

__all__ = ["LANGUAGES", "Word", "language_of", "render", "wants"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("zh", "en")

_environment = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                           autoescape=select_autoescape(default=True), trim_blocks=True,
                           lstrip_blocks=True, auto_reload=False)
_environment.filters["minute"] = local_minute
_environment.filters["date"] = local_date


def language_of(request: Request) -> str:
    """``zh`` or ``en``: ``?lang=``, else the first of them in ``Accept-Language`` by
    quality, else ``zh``."""
    chosen = request.query_params.get("lang", "")
    if chosen in LANGUAGES:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(request.headers.get("accept-language", "").split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES:
            ranked.append((-_quality(params), position, primary))
    return min(ranked)[2] if ranked else "zh"


def wants(request: Request, media_type: str) -> bool:
    """Whether ``Accept`` prefers ``media_type`` to HTML (named explicitly, with a higher or
    equal quality than ``text/html`` or ``*/*``)."""
    qualities: dict[str, float] = {}
    for item in request.headers.get("accept", "").split(",")[:30]:
        kind, _, params = item.strip().partition(";")
        qualities[kind.strip().lower()] = _quality(params)
    if qualities.get(media_type, 0) <= 0:
        return False
    html = max(qualities.get("text/html", 0), qualities.get("*/*", 0))
    return qualities[media_type] >= html


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


class Word(str):
    """A sentence's parameter that is itself a phrase (its key): each language's sentence
    takes it in that language."""


def _phrase(key: str, index: int, params: Mapping[str, Any]) -> Markup:
    if params.get("count") == 1 and f"{key}.one" in WORDS:
        key = f"{key}.one"
    words = WORDS.get(key)
    if words is None:  # a value we have no word for is shown as it was recorded
        return escape(key.split(".", 1)[-1])
    if not params:
        return escape(words[index])
    filled = {name: _phrase(value, index, {}) if isinstance(value, Word) else value
              for name, value in params.items()}
    return escape(words[index]).format(**filled)


def _bilingual(key: str, first: int, params: Mapping[str, Any]) -> Markup:
    main, beside = _phrase(key, first, params), _phrase(key, 1 - first, params)
    if main == beside:
        return main
    return Markup('{} <span class="alt" lang="{}">{}</span>').format(
        main, LANGUAGES[1 - first], beside)


# Phrases without parameters, made once: a page uses hundreds of them.
_MADE = {lang: {key: (_bilingual(key, LANGUAGES.index(lang), {}),
                      _phrase(key, LANGUAGES.index(lang), {})) for key in WORDS}
         for lang in LANGUAGES}


def _translator(lang: str) -> tuple[Callable[..., Markup], Callable[..., Markup]]:
    first = LANGUAGES.index(lang)
    made = _MADE[lang]

    def bilingual(key: str, **params: Any) -> Markup:
        """The phrase in the page's language, the other language beside it."""
        if not params and key in made:
            return made[key][0]
        return _bilingual(key, first, params)

    def single(key: str, **params: Any) -> Markup:
        """The phrase in the page's language only."""
        if not params and key in made:
            return made[key][1]
        return _phrase(key, first, params)

    return bilingual, single


def render(template: str, lang: str, **context: Any) -> str:
    """Render ``template`` in ``lang`` with ``t`` (bilingual) and ``t1`` (one language)."""
    bilingual, single = _translator(lang)
    return _environment.get_template(template).render(
        lang=lang, other_lang=LANGUAGES[1 - LANGUAGES.index(lang)], t=bilingual, t1=single,
        word=Word, **context)
