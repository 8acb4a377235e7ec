"""
Money: stored as whole kronor (integers), shown as Swedes write amounts in budget documents, "2,0 mkr" or
"1 234 tkr". All arithmetic is on integers or Decimal, never on floats.
"""

from decimal import ROUND_HALF_UP, Decimal

from .charts import format_number

THOUSAND = Decimal(1000)
MILLION = Decimal(1_000_000)


def to_kronor(value):
    """Whole kronor from an int, a Decimal or a string ("2 000 000", "1234,50" rounds half up to 1235)."""
    if isinstance(value, (bool, float)):
        raise TypeError("Belopp anges i hela kronor som heltal eller Decimal, aldrig som flyttal.")
    if isinstance(value, str):
        value = Decimal(value.replace("\u00a0", "").replace(" ", "").replace("\u2212", "-").replace(",", "."))
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tkr(kronor, decimals=0):
    """Thousands of kronor, rounded half up: 1 234 499 kr → Decimal("1234")."""
    return (Decimal(kronor) / THOUSAND).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def mkr(kronor, decimals=1):
    """Millions of kronor, rounded half up: 2 000 000 kr → Decimal("2.0"); 449 999 kr → Decimal("0.4")."""
    return (Decimal(kronor) / MILLION).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_tkr(kronor, decimals=0):
    """ "1 234 tkr" """
    if kronor is None:
        return "–"
    return f"{format_number(tkr(kronor, decimals), decimals)}\u00a0tkr"


def format_mkr(kronor, decimals=1):
    """ "2,0 mkr" """
    if kronor is None:
        return "–"
    return f"{format_number(mkr(kronor, decimals), decimals)}\u00a0mkr"


def format_money(kronor):
    """The readable form for a single amount: mkr from one million up, else tkr, else kronor."""
    if kronor is None:
        return "–"
    if abs(kronor) >= MILLION:
        return format_mkr(kronor)
    if abs(kronor) >= THOUSAND:
        return format_tkr(kronor)
    return f"{format_number(kronor)}\u00a0kr"
