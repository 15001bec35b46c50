"""DRF's PageNumberPagination: ``page`` and ``page_size`` (no maximum), absolute links."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from werkzeug.datastructures import MultiDict

from jobharness.servers.saltant.responses import detail


@dataclass(frozen=True)
class Page:
    """One page: its number, its size and the offset of its first row."""

    number: int
    size: int
    count: int

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.number - 1) * self.size

    @property
    def has_next(self) -> bool:
        """Whether a page follows."""
        return self.number * self.size < self.count

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before."""
        return self.number > 1


def page_size(args: MultiDict[str, str], default: int) -> int:
    """``page_size`` if it is a positive integer, else ``default`` (bad values are ignored)."""
    values = args.getlist("page_size")
    if not values:
        return default
    try:
        size = int(values[-1])
    except ValueError:
        return default
    return size if size > 0 else default


def select_page(args: MultiDict[str, str], count: int, size: int) -> Page:
    """The requested page of ``count`` rows; 404 ``Invalid page.`` when there is none."""
    values = args.getlist("page")
    raw = values[-1] if values else "1"
    pages = max(1, -(-count // size))
    if raw == "last":
        return Page(pages, size, count)
    try:
        number = int(raw)
    except ValueError:
        raise detail(404, "Invalid page.") from None
    if number < 1 or number > pages:
        raise detail(404, "Invalid page.")
    return Page(number, size, count)


def _with_page(url: str, number: int | None) -> str:
    """``url`` with ``page`` set (or removed for ``None``); query keys sorted, as DRF does."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    params.pop("page", None)
    if number is not None:
        params["page"] = [str(number)]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )


def links(url: str, page: Page) -> tuple[str | None, str | None]:
    """The ``next`` and ``previous`` URLs of ``page`` for a request to ``url``."""
    following = _with_page(url, page.number + 1) if page.has_next else None
    if not page.has_previous:
        return following, None
    return following, _with_page(url, page.number - 1 if page.number > 2 else None)
