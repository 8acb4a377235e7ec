"""
The report kinds. Each kind names its subject (the organisation it belongs to, a title and a key), splits itself into
sections, prepares one section's HTML (its data fetched in a constant number of queries) and lays out the whole
document from the base template (templates/reports/pdf/document.html: cover, table of contents with page numbers,
running header, "Sida n av m").

Kinds register themselves with `register` when reports.kinds is imported (ReportsConfig.ready); `get(kind)` returns
the one for a job.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from .fonts import font_css
from .models import ReportKind

_KINDS = {}


@dataclass
class Subject:
    organisation: object
    title: str
    key: str


def register(cls):
    _KINDS[cls.kind] = cls()
    return cls


def get(kind):
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(f"Unknown report kind {kind!r}") from None


def kinds():
    return dict(_KINDS)


class Document:
    """Base of a report kind."""

    kind = None
    template = "reports/pdf/document.html"

    def subject(self, params):
        raise NotImplementedError

    def sections(self, job):
        """[(key, title)] in document order."""
        raise NotImplementedError

    def render_section(self, job, section):
        raise NotImplementedError

    def front_context(self, job):
        """Extra context for the cover and the introduction (kind-specific)."""
        return {}

    def data_source(self, job):
        """What the document was built from, with versions (kept with the archived file)."""
        return {"params": job.params}

    def render_document(self, job, sections):
        context = {
            "job": job,
            "municipality": job.municipality,
            "title": job.title,
            "kind_label": ReportKind(job.kind).label,
            "generated": timezone.localtime(),
            "sections": sections,
            "toc": [s for s in sections if s.title],
            "font_css": mark_safe(font_css()),  # noqa: S308 - the project's own font rules
            **self.front_context(job),
        }
        return render_to_string(self.template, context)
