"""ISO 3166-1 country codes, from pycountry, read once on first use."""

import importlib.util
import json
from functools import cache
from pathlib import Path


@cache
def table() -> dict[str, str]:
    """Code -> English short name, for every ISO 3166-1 country (pycountry's database)."""
    # Reading pycountry's JSON directly costs under 1 ms; importing the package costs ~20 ms,
    # which every `kb validate` and `kb.load()` would pay.
    spec = importlib.util.find_spec("pycountry")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "databases" / "iso3166-1.json"
        if path.is_file():
            entries = json.loads(path.read_text(encoding="utf-8"))["3166-1"]
            return {e["alpha_2"]: e.get("common_name") or e["name"] for e in entries}
    import pycountry

    return {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}


class _Codes:
    def __contains__(self, code: object) -> bool:
        return code in table()


ALPHA2 = _Codes()


def name(code: str) -> str:
    """A country code's short name in the language in force: pycountry's English name, or
    the Unicode CLDR's name in another language (the code itself if unknown)."""
    from kb.i18n import language

    lang = language()
    if lang != "en" and code in table():
        said = _cldr(lang).get(code)
        if said:
            return said
    return table().get(code, code)


@cache
def _cldr(lang: str) -> dict[str, str]:
    """Code -> short name in ``lang``, from the Unicode CLDR (through Babel)."""
    from babel import Locale

    return dict(Locale(lang).territories)


def suggest(code: str) -> str:
    """A hint for a wrong code: a near code or the country's name match."""
    upper = code.upper()
    if upper in table():
        return f"; did you mean '{upper}'?"
    for alpha2, country in table().items():
        if country.lower() == code.lower():
            return f"; {country} is '{alpha2}'"
    return ""
