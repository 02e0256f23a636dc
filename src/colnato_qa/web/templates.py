"""The chat page's templates and static files (``templates/``, ``static/``), rendered with Jinja2.

HTML templates are autoescaped: every value put into them is escaped unless it is already
markup (``markupsafe.Markup``, made only by this package from escaped text). ``compact`` joins a
rendered fragment into one line (the chat renders messages as Markdown, where a blank line would
end an HTML block).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from . import ids

_BREAKS = re.compile(r"\n[ \t]*")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("colnato_qa.web", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["ids"] = ids.IDS
    return env


def render(name: str, **context: Any) -> str:
    """Template ``name`` rendered with ``context`` (and ``ids``, the shared element ids)."""
    return environment().get_template(name).render(**context)


def compact(markup: str) -> str:
    """``markup`` on one line: each line break and the indentation after it removed (the
    templates put the spaces that matter inside a line)."""
    return _BREAKS.sub("", markup).strip()


def macro(template: str, name: str):
    """Macro ``name`` of template ``template`` as a function returning one-line markup."""
    fn = getattr(environment().get_template(template).module, name)

    def call(*args: Any, **kwargs: Any) -> str:
        return compact(str(fn(*args, **kwargs)))

    return call
