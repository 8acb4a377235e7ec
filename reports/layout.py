"""
Laying a report out. WeasyPrint renders each part of a document — every section on its own, in parallel on as many
workers as there are, and the front matter (cover, contents) and back page when the sections are done — as an
archival, tagged PDF (PDF/A-3a). `join` puts the parts together into one PDF/A-3a document with pikepdf:

- the pages in order, and the parts' structure trees as one tagged structure (the parts' top elements become the
  children of one Document element; the parent tree's keys are renumbered);
- the named destinations of all parts in one name tree, so the contents' links reach the sections (the front matter
  marks each entry with the section's anchor, which the section's own destination replaces);
- the parts' bookmarks in one outline;
- "Sida n av m" in the footer of every page but the cover, written as a pagination artifact in Inter (the same font
  and place as the pages' CSS would give it), since a part does not know its page numbers when it is laid out.

The front matter's catalog is kept: its XMP metadata (PDF/A-3a identification, title, author), output intent,
language, MarkInfo and viewer preferences.
"""

import hashlib
import io
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from .fonts import INTER, truetype

FOOTER_FONT = INTER / "files" / "inter-latin-400-normal.woff2"
FOOTER_FONT_NAME = "/StyrningSidfot"
FOOTER_SIZE = 8  # pt, as the pages' CSS: 400 8pt Inter, #4b5563, at the right margin, centred in the bottom margin
FOOTER_RIGHT = 20 / 25.4 * 72  # the right margin, 20 mm
FOOTER_BASELINE = 28.27  # pt above the page's lower edge
FOOTER_COLOUR = b"0.294 0.333 0.388 rg"


def render(html, *, title, author):
    """The HTML as an archival, tagged PDF (PDF/A-3a) in Swedish with title and author. Returns (bytes, pages)."""
    from weasyprint import HTML

    base_url = str(Path(settings.BASE_DIR) / "static") + "/"
    document = HTML(string=html, base_url=base_url).render()
    document.metadata.title = title
    document.metadata.authors = [author]
    document.metadata.lang = "sv"
    return document.write_pdf(pdf_variant="pdf/a-3a"), len(document.pages)


def join(parts, target, *, footer, unnumbered=1):
    """Join the PDFs `parts` (bytes; the first is the front matter, whose catalog is kept) into one at `target`.
    `footer(n, m)` gives the footer text of page n of m; the first `unnumbered` pages (the cover) have none.
    Returns the number of pages."""
    import pikepdf

    front, *rest = parts
    others = [pikepdf.open(io.BytesIO(data)) for data in rest]
    try:
        with pikepdf.open(io.BytesIO(front)) as pdf:
            tree = pdf.Root.StructTreeRoot
            document = tree.K[0]
            nums = list(tree.ParentTree.Nums)
            next_key = max((int(key) for key in nums[::2]), default=-1) + 1
            destinations = _destinations(pdf, pdf)
            outline = [_bookmarks(item, _page_numbers(pdf)) for item in _outline_items(pdf)]
            for number, other in enumerate(others, 1):
                _retag_fonts(other, number)
                first = len(pdf.pages)
                offset = next_key
                pdf.pages.extend(other.pages)
                for page in pdf.pages[first:]:
                    _shift_struct_parents(page.obj, offset)
                their_tree = other.Root.StructTreeRoot
                their_nums = list(their_tree.ParentTree.Nums)
                for key, value in zip(their_nums[::2], their_nums[1::2], strict=True):
                    nums += [int(key) + offset, _copy(pdf, other, value)]
                    next_key = max(next_key, int(key) + offset + 1)
                for kid in their_tree.K[0].K:
                    element = _copy(pdf, other, kid)
                    element.P = document
                    document.K.append(element)
                destinations.update(_destinations(pdf, other))
                pages = _page_numbers(other, first)
                outline += [_bookmarks(item, pages) for item in _outline_items(other)]
            tree.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
            if destinations:
                names = pikepdf.Array()
                for name in sorted(destinations):
                    names.extend([pikepdf.String(name), destinations[name]])
                if "/Names" not in pdf.Root:
                    pdf.Root.Names = pikepdf.Dictionary()
                pdf.Root.Names.Dests = pdf.make_indirect(pikepdf.Dictionary(Names=names))
            _write_outline(pdf, outline)
            _stamp_footers(pdf, footer, unnumbered)
            # Object streams (allowed from PDF/A-2 on) pack the parts' many small objects: about 40 % smaller.
            pdf.save(target, object_stream_mode=pikepdf.ObjectStreamMode.generate)
            return len(pdf.pages)
    finally:
        for other in others:
            other.close()


def _retag_fonts(source, number):
    """Give the font subsets of part `number` tags of their own: different subsets in one PDF must have different
    tags, and every part names its subsets of Inter alike."""
    import pikepdf

    def retag(name):
        tag, plus, rest = str(name)[1:].partition("+")
        if not plus or len(tag) != 6:
            return name
        digest = hashlib.sha256(f"{number}:{tag}".encode()).digest()
        return pikepdf.Name("/" + "".join(chr(65 + byte % 26) for byte in digest[:6]) + "+" + rest)

    for obj in source.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        kind = obj.get("/Type")
        if kind == "/Font" and "/BaseFont" in obj:
            obj.BaseFont = retag(obj.BaseFont)
        elif kind == "/FontDescriptor" and "/FontName" in obj:
            obj.FontName = retag(obj.FontName)


def _copy(pdf, other, value):
    """`value` of `other` in `pdf` (pages already copied are referred to, not copied again)."""
    if not value.is_indirect:
        value = other.make_indirect(value)
    return pdf.copy_foreign(value)


def _shift_struct_parents(page, offset):
    if "/StructParents" in page:
        page.StructParents = int(page.StructParents) + offset
    for annotation in page.get("/Annots", ()):
        if "/StructParent" in annotation:
            annotation.StructParent = int(annotation.StructParent) + offset


def _destinations(pdf, source):
    """{name: destination} of the named destinations of `source`, as objects of `pdf`."""
    names = source.Root.get("/Names", {}).get("/Dests", {}).get("/Names", ())
    names = list(names)
    return {
        str(name): (value if source is pdf else _copy(pdf, source, value))
        for name, value in zip(names[::2], names[1::2], strict=True)
    }


def _outline_items(source):
    item = source.Root.get("/Outlines", {}).get("/First")
    while item is not None:
        yield item
        item = item.get("/Next")


def _bookmarks(item, pages):
    """(title, page index in the joined document, left, top, children) of an outline item; `pages` maps its part's
    pages to their indexes in the joined document."""
    destination = item.Dest
    children = []
    child = item.get("/First")
    while child is not None:
        children.append(_bookmarks(child, pages))
        child = child.get("/Next")
    return str(item.Title), pages[destination[0].objgen], float(destination[2]), float(destination[3]), children


def _page_numbers(source, first=0):
    """{page object: its index in the joined document} of a part whose pages begin at index `first`."""
    return {page.obj.objgen: first + index for index, page in enumerate(source.pages)}


def _write_outline(pdf, bookmarks):
    """Replace the outline with `bookmarks` (open, as WeasyPrint writes them)."""
    import pikepdf

    def build(items, parent):
        objects = []
        total = 0
        for title, index, left, top, children in items:
            page = pdf.pages[index].obj
            entry = pdf.make_indirect(
                pikepdf.Dictionary(
                    Title=pikepdf.String(title),
                    Parent=parent,
                    Dest=pikepdf.Array([page, pikepdf.Name.XYZ, left, top, 0]),
                )
            )
            kids, count = build(children, entry)
            entry.Count = count
            total += 1 + count
            if kids:
                entry.First, entry.Last = kids[0], kids[-1]
            if objects:
                entry.Prev = objects[-1]
                objects[-1].Next = entry
            objects.append(entry)
        return objects, total

    if not bookmarks:
        if "/Outlines" in pdf.Root:
            del pdf.Root.Outlines
        return
    root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    items, count = build(bookmarks, root)
    root.First, root.Last, root.Count = items[0], items[-1], count
    pdf.Root.Outlines = root


def _stamp_footers(pdf, footer, unnumbered):
    import pikepdf

    total = len(pdf.pages)
    texts = {n: footer(n, total) for n in range(unnumbered + 1, total + 1)}
    if not texts:
        return
    font = _footer_font(pdf, "".join(texts.values()))
    widths = _footer_metrics()["widths"]
    for n, text in texts.items():
        page = pdf.pages[n - 1]
        encoded = text.encode("cp1252")
        width = sum(widths.get(byte, 0) for byte in encoded) * FOOTER_SIZE / 1000
        x = float(page.mediabox[2]) - FOOTER_RIGHT - width
        escaped = encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        stamp = (
            b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq "
            + FOOTER_COLOUR
            + b" BT "
            + FOOTER_FONT_NAME.encode()
            + b" %d Tf %.3f %.3f Td (" % (FOOTER_SIZE, x, FOOTER_BASELINE)
            + escaped
            + b") Tj ET Q\nEMC\n"
        )
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(pdf, stamp))
        resources = page.obj.get("/Resources")
        if resources is None:
            page.obj.Resources = resources = pikepdf.Dictionary()
        if "/Font" not in resources:
            resources.Font = pikepdf.Dictionary()
        resources.Font[FOOTER_FONT_NAME] = font


def _footer_font(pdf, text):
    """Inter Regular as a simple TrueType font (WinAnsiEncoding), embedded with the glyphs of `text`."""
    import pikepdf
    from fontTools import subset
    from fontTools.ttLib import TTFont

    metrics = _footer_metrics()
    font = TTFont(str(truetype(FOOTER_FONT)))
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    characters = set(text) | {" "}
    subsetter.populate(text="".join(characters))
    subsetter.subset(font)
    program = io.BytesIO()
    font.save(program)
    data = program.getvalue()
    name = pikepdf.Name("/STYRNG+Inter-Regular")
    used = set("".join(characters).encode("cp1252"))
    first, last = min(used), max(used)
    descriptor = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor,
            FontName=name,
            Flags=32,  # non-symbolic
            FontBBox=pikepdf.Array(metrics["bbox"]),
            ItalicAngle=0,
            Ascent=metrics["ascent"],
            Descent=metrics["descent"],
            CapHeight=metrics["cap_height"],
            StemV=80,
            FontFile2=pikepdf.Stream(pdf, data, Length1=len(data)),
        )
    )
    mappings = "".join(f"<{code:02X}> <{ord(bytes([code]).decode('cp1252')):04X}>\n" for code in sorted(used))
    to_unicode = pikepdf.Stream(
        pdf,
        (
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
            f"{len(used)} beginbfchar\n{mappings}endbfchar\n"
            "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        ).encode(),
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.TrueType,
            ToUnicode=to_unicode,
            BaseFont=name,
            FirstChar=first,
            LastChar=last,
            Widths=pikepdf.Array([metrics["widths"].get(code, 0) for code in range(first, last + 1)]),
            Encoding=pikepdf.Name.WinAnsiEncoding,
            FontDescriptor=descriptor,
        )
    )


@lru_cache(maxsize=1)
def _footer_metrics():
    """Inter Regular's advance widths per WinAnsi code (in thousandths of the size), bounding box and heights."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(truetype(FOOTER_FONT)))
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    advances = font["hmtx"].metrics
    widths = {}
    for code in range(32, 256):
        try:
            character = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        glyph = cmap.get(ord(character))
        if glyph is not None:
            widths[code] = round(advances[glyph][0] * scale)
    head = font["head"]
    return {
        "widths": widths,
        "bbox": [round(value * scale) for value in (head.xMin, head.yMin, head.xMax, head.yMax)],
        "ascent": round(font["hhea"].ascent * scale),
        "descent": round(font["hhea"].descent * scale),
        "cap_height": round(getattr(font["OS/2"], "sCapHeight", 700) * scale),
    }
