"""SVG results, `bytes -> bytes`, for running in worker threads: made safe to post, and rendered.

An SVG from the provider is untrusted XML. `clean_svg` drops its DOCTYPE unread (so no entity is
ever expanded, and no external entity or DTD is loaded), parses the rest with defusedxml, and
keeps the drawing while dropping what runs or loads anything: scripts, event handler attributes
(on*), foreign objects, references outside the file (href, xlink:href, url(...), @import) and
processing instructions (an xml-stylesheet loads a file). `render_svg` draws a clean SVG as a
PNG with CairoSVG, whose fetcher is replaced by one that refuses every URL, so nothing it links
to is fetched even if something survived the cleaning.
"""

# CairoSVG and defusedxml ship no type information.
# pyright: reportMissingTypeStubs=false, reportUnknownMemberType=false, reportUnknownVariableType=false

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from typing import NoReturn

import defusedxml.ElementTree as SafeElementTree
from cairosvg.surface import PNGSurface
from defusedxml import DefusedXmlException

from bot.i18n import Text, _
from bot.imaging import EncodedImage, ImageDataError, fit_to_limit

MAX_SVG_BYTES = 2 * 1024 * 1024  # a drawing; a bigger file is refused, never parsed
MAX_SVG_DEPTH = 200  # nesting past this is no drawing, and would recurse deep in the serializer and renderer
MAX_SVG_ELEMENTS = 50_000
# What the renderer draws, each `<use>` counting the elements it draws again: a few levels of
# `<use>` of `<use>` would make a kilobyte of XML into days of drawing on the worker threads.
MAX_DRAWN_ELEMENTS = 10_000
RENDER_EDGE = 1024  # the rendering's longer edge, whatever size the SVG claims

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
ElementTree.register_namespace("", SVG_NAMESPACE)
ElementTree.register_namespace("xlink", XLINK_NAMESPACE)

_DROPPED_ELEMENTS = frozenset({"script", "foreignObject", "handler", "iframe", "embed", "object", "audio", "video"})
_ANIMATIONS = frozenset({"set", "animate", "animateMotion", "animateTransform", "discard"})
_PICTURES = frozenset({"image", "feImage"})  # drawn from a file: kept only with a reference inside this one
_PREDEFINED_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NAMED_REFERENCE = re.compile(r"&([A-Za-z_:][\w.:-]*);")
_URL = re.compile(r"url\(\s*(['\"]?)\s*([^'\")\s]*)", re.IGNORECASE)


def _refuse(reason: Text) -> NoReturn:
    raise ImageDataError(reason)


def _without_doctype(text: str) -> str:
    """The document with its DOCTYPE cut out unread, internal subset and all, and every reference
    to an entity it may have declared dropped (the five XML predefines stay): nothing is expanded."""
    start = text.find("<!DOCTYPE")
    if start == -1:
        return text
    index, depth, quote = start + len("<!DOCTYPE"), 0, ""
    while index < len(text):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif text.startswith("<!--", index):
            end = text.find("-->", index + 4)
            if end == -1:
                break
            index = end + 2
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == ">" and depth <= 0:
            rest = text[index + 1 :]
            body = _NAMED_REFERENCE.sub(lambda m: m.group(0) if m.group(1) in _PREDEFINED_ENTITIES else "", rest)
            return text[:start] + body
        index += 1
    _refuse(_("the SVG's DOCTYPE never ends"))


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _loads_something(value: str) -> bool:
    """Whether a value or a style sheet refers outside the file: `@import`, or a url(...) that is not `#id`."""
    lowered = value.lower()
    if "@import" in lowered or "image-set(" in lowered or "\\" in value:  # a CSS escape can hide a url(
        return True
    return any(not target.startswith("#") for _quote, target in _URL.findall(value))


def _inside_reference(element: ElementTree.Element) -> bool:
    return any(_local(name) == "href" and value.strip().startswith("#") for name, value in element.attrib.items())


def _clean_element(element: ElementTree.Element) -> None:
    """Drop the element's attributes that run or load anything, and its children that do."""
    for name in list(element.attrib):
        local, value = _local(name), element.attrib[name]
        if (
            local.lower().startswith("on")
            or (local == "href" and not value.strip().startswith("#"))
            or _loads_something(value)
        ):
            del element.attrib[name]
    for child in list(element):
        tag = "" if callable(child.tag) else child.tag  # a comment's or processing instruction's is a function
        local = _local(tag)
        targets = child.attrib.get("attributeName", "").rsplit(":", 1)[-1]  # xlink:href is an href
        if (
            local in _DROPPED_ELEMENTS
            or (local in _ANIMATIONS and (targets == "href" or targets.lower().startswith("on")))
            or (local == "style" and _loads_something("".join(child.itertext())))
            or (local in _PICTURES and not _inside_reference(child))
            or not tag  # a comment or processing instruction, should a parser keep one
            or (tag.startswith("{") and not tag.startswith(f"{{{SVG_NAMESPACE}}}"))  # XHTML and other vocabularies
        ):
            element.remove(child)


def _check_shape(root: ElementTree.Element) -> None:
    """Refuse a tree too deep or too large to be a drawing, walking it without recursion."""
    stack, count = [(root, 1)], 0
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > MAX_SVG_DEPTH or count > MAX_SVG_ELEMENTS:
            _refuse(_("the SVG is nested too deep or holds too many elements"))
        stack.extend((child, depth + 1) for child in element)


def _use_target(element: ElementTree.Element, ids: dict[str, ElementTree.Element]) -> ElementTree.Element | None:
    if callable(element.tag) or _local(element.tag) != "use":
        return None
    for name, value in element.attrib.items():
        if _local(name) == "href" and value.strip().startswith("#"):
            return ids.get(value.strip()[1:])
    return None


def _check_drawing(root: ElementTree.Element) -> None:
    """Refuse a drawing that draws more than `MAX_DRAWN_ELEMENTS`, counting what each `<use>`
    draws again (memoised, without recursion), or whose `<use>`s refer in a circle."""
    ids = {element.attrib["id"]: element for element in root.iter() if "id" in element.attrib}
    drawn: dict[int, int] = {}
    started: set[int] = set()
    stack: list[tuple[ElementTree.Element, bool]] = [(root, False)]
    while stack:
        element, children_done = stack.pop()
        key = id(element)
        if key in drawn:
            continue
        target = _use_target(element, ids)
        parts = [*element, *([target] if target is not None else [])]
        if not children_done:
            started.add(key)
            stack.append((element, True))
            for part in parts:
                if id(part) in started and id(part) not in drawn:
                    _refuse(_("the SVG's <use> elements refer to each other in a circle"))
                stack.append((part, False))
            continue
        started.discard(key)
        drawn[key] = 1 + sum(drawn[id(part)] for part in parts)
        if drawn[key] > MAX_DRAWN_ELEMENTS:
            _refuse(_("the SVG draws more than {count} elements", count=MAX_DRAWN_ELEMENTS))


def clean_svg(data: bytes) -> bytes:
    """The SVG made safe to post (see the module's docstring), as UTF-8 with an XML declaration.
    Raises `ImageDataError` when it is over `MAX_SVG_BYTES`, does not parse without its DOCTYPE,
    or is no SVG, nested too deep, or too large."""
    if len(data) > MAX_SVG_BYTES:
        _refuse(_("the SVG is over {size} MB", size=MAX_SVG_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse(_("the SVG is not UTF-8 text"))
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # its encoding is UTF-8 now, whatever it said
    text, failure, root = _without_doctype(text), None, None
    try:
        root = SafeElementTree.fromstring(text, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as error:
        failure = type(error).__name__
    if root is None:
        _refuse(_("the SVG does not parse as XML ({error})", error=failure))
    if root.tag not in (f"{{{SVG_NAMESPACE}}}svg", "svg"):
        _refuse(_("the file is not an SVG drawing"))
    _check_shape(root)
    _check_drawing(root)
    for element in root.iter():
        _clean_element(element)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
        root, encoding="utf-8", xml_declaration=False
    )


def _no_fetching(url: str, resource_type: str) -> NoReturn:
    raise ValueError(f"an SVG's {resource_type} at {url[:80]} is not fetched")


def _natural_size(clean: bytes) -> tuple[float, float]:
    """The drawing's size: its viewBox's, else its width and height in user units, else the
    300x150 an SVG without either has."""
    root = SafeElementTree.fromstring(clean, forbid_dtd=True)
    box = [float(part) for part in re.split(r"[\s,]+", root.attrib.get("viewBox", "").strip()) if part]
    if len(box) == 4 and box[2] > 0 and box[3] > 0:
        return box[2], box[3]
    sides = [re.match(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$", root.attrib.get(name, "")) for name in ("width", "height")]
    if all(sides):
        return tuple(float(side.group(1)) for side in sides if side)  # type: ignore[return-value]
    return 300.0, 150.0


def render_svg(clean: bytes, edge: int = RENDER_EDGE) -> bytes:
    """A PNG of a `clean_svg` result, its longer edge `edge` pixels whatever size the SVG claims;
    nothing it links to is fetched. Raises `ImageDataError` when it can't be drawn."""
    failure, png = None, None
    try:
        width, height = _natural_size(clean)
        scale = edge / max(width, height)
        png = PNGSurface.convert(
            bytestring=clean,
            output_width=max(1, round(width * scale)),
            output_height=max(1, round(height * scale)),
            url_fetcher=_no_fetching,
        )
    except Exception as error:  # a hostile drawing makes a renderer raise almost anything
        failure = type(error).__name__
    if png is None:
        _refuse(_("the SVG can't be drawn ({error})", error=failure))
    return png


def svg_files(data: bytes, limit: int) -> list[EncodedImage]:
    """What an SVG result is posted as, each file within `limit` bytes: its PNG rendering (what the
    gallery shows, for Discord shows no SVG inline), then the cleaned SVG itself."""
    clean = clean_svg(data)
    rendering = fit_to_limit(render_svg(clean), limit)
    if len(clean) > limit:
        _refuse(_("the SVG is larger than Discord takes here"))
    return [rendering, EncodedImage(clean, "svg", rendering.width, rendering.height)]
