"""Page numbers read from a page's URL, one rule for every list page of the desk."""

from __future__ import annotations

from ..whole_numbers import whole_number

# The deepest page a list page serves (as the API's page parameter): deeper would overflow the database driver's
# OFFSET, a server error for a mistyped or hostile link where an empty last page is the honest answer.
MAX_PAGE = 100_000


def page_number(value: object) -> int:
    """The page a link asks for: anything but a whole number is page 1, and a number past ``MAX_PAGE`` is that page
    (an empty list past the end, never an error)."""
    text = str(value).strip() if value is not None else ""
    number = whole_number(text, len(str(MAX_PAGE)))
    if number is None:  # not a whole number, or longer than any page: the first page, or the last one served
        return MAX_PAGE if text.isascii() and text.isdigit() else 1
    return min(max(number, 1), MAX_PAGE)
