"""How consumer apps name their actions and fields: words, plurals, camel and snake case.

Pure functions, shared by the client (resource types) and the embedded service
(job functions are found by the snake-case name of their action).
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def camel_words(name: str) -> list[str]:
    """The words of ``load_balancer``, ``load balancer`` or ``LoadBalancer``: load, balancer."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.strip())
    return [word.lower() for word in re.split(r"[\s_\-]+", spaced) if word]


def plural(word: str) -> str:
    """An English plural good enough for resource names (instance -> instances, key -> keys)."""
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def snake_case(action: str) -> str:
    """The function name upstream's worker looks up for job action ``action`` (CreateWidget ->
    create_widget)."""
    return "_".join(camel_words(action))


def join_words(words: Sequence[str], upper_first: bool) -> str:
    """``["load", "balancer"]`` as ``LoadBalancer`` (or ``loadBalancer``)."""
    text = "".join(word[:1].upper() + word[1:] for word in words)
    return text if upper_first else text[:1].lower() + text[1:]
