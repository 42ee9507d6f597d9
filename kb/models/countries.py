"""ISO 3166-1 country codes, from pycountry, read once on first use."""

from functools import cache


@cache
def table() -> dict[str, str]:
    """Code -> English short name, for every ISO 3166-1 country."""
    import pycountry

    return {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}


class _Codes:
    def __contains__(self, code: object) -> bool:
        return code in table()


ALPHA2 = _Codes()


def name(code: str) -> str:
    """The English short name of a country code (the code itself if unknown)."""
    return table().get(code, code)


def suggest(code: str) -> str:
    """A hint for a wrong code: a near code or the country's name match."""
    upper = code.upper()
    if upper in table():
        return f"; did you mean '{upper}'?"
    for alpha2, country in table().items():
        if country.lower() == code.lower():
            return f"; {country} is '{alpha2}'"
    return ""
