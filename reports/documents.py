"""
The report kinds. Each kind names its subject (the organisation it belongs to, a title and a key), splits itself into
sections, prepares one section's HTML (its data fetched in a constant number of queries) and gives the HTML of the
parts that reports.layout lays out and joins: each section, the front matter (cover, table of contents with page
numbers) and the back page. All parts share the running header (templates/reports/pdf/base.html).

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
    """Base of a report kind. A document is laid out in parts (reports.layout): each section on its own from
    templates/reports/pdf/section.html, then the front matter (front.html: cover, contents with the sections' page
    numbers, the introduction and any chapter that refers to pages) and the back page (back.html)."""

    kind = None

    def subject(self, params):
        raise NotImplementedError

    def sections(self, job):
        """[(key, title)] in document order."""
        raise NotImplementedError

    def render_section(self, job, section):
        raise NotImplementedError

    def front_context(self, job):
        """Extra context for the front matter and the back page (kind-specific): subtitle, facts, cover_html,
        preface_html (before the contents), back_html. Fetched once a job."""
        return {}

    def front_chapters(self, job, context, pages):
        """[(anchor, title, html)] of the chapters of the front matter, after the contents. `pages` gives the first page
        of each section ({position: page}) for chapters that refer to them."""
        return []

    def data_source(self, job):
        """What the document was built from, with versions (kept with the archived file)."""
        return {"params": job.params}

    def _context(self, job):
        return {
            "job": job,
            "municipality": job.municipality,
            "title": job.title,
            "kind_label": ReportKind(job.kind).label,
            "generated": timezone.localtime(job.started or job.created),
            "font_css": mark_safe(font_css()),  # noqa: S308 - the project's own font rules
        }

    def section_html(self, job, section, html):
        """The whole HTML document of one section, `html` its content."""
        return render_to_string(
            "reports/pdf/section.html",
            {**self._context(job), "section": section, "content": mark_safe(html)},  # noqa: S308
        )

    def front_html(self, job, context, sections, pages):
        """The front matter: the cover, the contents with each section's first page (`pages`) and the front chapters."""
        return render_to_string(
            "reports/pdf/front.html",
            {
                **self._context(job),
                **context,
                "chapters": self.front_chapters(job, context, pages),
                "toc": [(section, pages[section.position]) for section in sections if section.title],
            },
        )

    def back_html(self, job, context):
        """The back page, or None when the kind has none."""
        if not context.get("back_html"):
            return None
        return render_to_string("reports/pdf/back.html", {**self._context(job), **context})
