"""The report kinds; importing this package registers them (reports.documents.register)."""

from . import assignment_list, budget, compiled, programme, tertial  # noqa: F401
