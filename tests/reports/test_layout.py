"""
Laying reports out in parts (reports.layout): each section is laid out by its own task as a PDF of its own; the last
task lays out only the front matter and the back page and joins the parts into one archival, tagged document whose
contents, destinations, outline, page numbers and structure tree are those of one document.
"""

import io
import re
import subprocess
from pathlib import Path
from unittest import mock

import pikepdf
import pytest

from reports import layout, pipeline, services
from reports.models import JobStatus

from .conftest import flat, pdf_info, pdf_text, queued_job, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

real = layout.render


def compiled(w):
    job = wait_for(services.report_request(kind="compiled", params={"period": w.followup_period.pk}, user=w.politician))
    assert job.status == JobStatus.DONE, job.error
    return job, Path(job.file.file.path)


def test_each_section_is_laid_out_by_its_own_task_and_the_last_task_lays_out_only_the_front_and_back(followup):
    w = followup
    job = queued_job("compiled", {"period": w.followup_period.pk}, w.politician)
    positions = pipeline.job_start(job.pk)
    for position in positions:
        pipeline.section_render(job.pk, position)
    sections = list(job.sections.order_by("position"))
    assert len(sections) > 4
    for section in sections:
        pdf = bytes(section.pdf)
        assert pdf.startswith(b"%PDF") and section.done
        with pikepdf.open(io.BytesIO(pdf)) as parsed:
            assert section.pages == len(parsed.pages) >= 1
    laid_out = []
    with mock.patch("reports.layout.render", side_effect=lambda html, **kw: laid_out.append(html) or real(html, **kw)):
        record = pipeline.job_assemble(job.pk)
    assert record is not None
    # The front matter (laid out again while its contents' length settles); no section is laid out a second time.
    assert laid_out and all('class="cover"' in html for html in laid_out)
    assert record.pages == 2 + sum(section.pages for section in sections)  # the cover, one page of contents
    # The sections' parts are not kept once the document is archived.
    assert not any(bytes(pdf) for pdf in job.sections.values_list("pdf", flat=True))


def test_the_joined_document_numbers_its_pages_and_its_contents_lead_to_the_sections(followup, eager):
    w = followup
    job, path = compiled(w)
    pages = pdf_text(path).split("\f")[:-1]
    total = len(pages)
    assert total == job.file.pages == int(pdf_info(path)["Pages"])
    assert "Sida" not in pages[0]  # the cover
    for number, page in enumerate(pages[1:], 2):
        assert f"Sida {number} av {total}" in page
        # No page is left with only the running header and the footer.
        body = [line for line in page.splitlines()[1:] if line.strip() and "Sida" not in line]
        assert body, f"page {number} is empty"
    contents = flat(pages[1])
    destinations = pdf_info(path, "-dests")
    sections = list(job.sections.order_by("position"))
    for section in sections:
        number = int(re.search(re.escape(section.title) + r"[.\s]*(\d+)", contents).group(1))
        assert section.title in flat(pages[number - 1]), section.title
        assert re.search(rf"^\s*{number} .*\"avsnitt-{section.position}\"$", destinations, re.MULTILINE), section.title
    with pikepdf.open(path) as pdf:
        index = {page.obj.objgen: n for n, page in enumerate(pdf.pages, 1)}
        with pdf.open_outline() as outline:
            marks = {str(item.title): index[item.destination[0].objgen] for item in outline.root}
        for section in sections:
            assert section.title in flat(pages[marks[section.title] - 1])


def test_the_joined_document_is_one_tagged_archival_document(followup, eager):
    w = followup
    job, path = compiled(w)
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        assert str(root.Lang) == "sv" and bool(root.MarkInfo.Marked)
        metadata = pdf.open_metadata()
        assert (metadata["pdfaid:part"], metadata["pdfaid:conformance"]) == ("3", "A")
        tree = root.StructTreeRoot
        assert len(tree.K) == 1 and tree.K[0].S == "/Document"
        document = tree.K[0]
        pages = {page.obj.objgen for page in pdf.pages}
        marked = set()

        def walk(element):
            if "/Pg" in element:
                assert element.Pg.objgen in pages
                marked.add(element.Pg.objgen)
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    assert kid.P.objgen == element.objgen
                    walk(kid)

        walk(document)
        assert marked == pages  # every page's content is in the one structure tree
        nums = list(tree.ParentTree.Nums)
        keys = [int(key) for key in nums[::2]]
        assert len(keys) == len(set(keys))
        used = [int(page.obj.StructParents) for page in pdf.pages]
        used += [int(a.StructParent) for page in pdf.pages for a in page.obj.get("/Annots", ())]
        assert len(used) == len(set(used)) and set(used) <= set(keys)
    info = pdf_info(path)
    assert info["Tagged"] == "yes" and info["Title"] == job.title and info["Author"] == "Vaggeryds kommun"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    names = [line.split()[0] for line in fonts]
    assert fonts and all(" yes yes yes " in line for line in fonts)  # embedded, subset, with a Unicode map
    assert len(names) == len(set(names))  # every subset has a tag of its own
