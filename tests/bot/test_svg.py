"""SVG results (bot/svg.py): cleaned without expanding anything, rendered without fetching anything."""

import io
import xml.etree.ElementTree as ElementTree

import pytest
from PIL import Image

from bot.imaging import ImageDataError
from bot.svg import MAX_SVG_BYTES, MAX_SVG_DEPTH, SVG_NAMESPACE, clean_svg, render_svg, svg_files
from tests.standins.images_rules import HOSTILE_DOCTYPE, make_svg

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="50">'


def clean(body: str, prolog: str = "") -> str:
    return clean_svg(f"{prolog}{SVG}{body}</svg>".encode()).decode()


def test_a_plain_drawing_is_kept_whole():
    data = make_svg(200, 100, "plain")
    cleaned = ElementTree.fromstring(clean_svg(data))
    original = ElementTree.fromstring(data)
    assert [element.tag for element in cleaned.iter()] == [element.tag for element in original.iter()]
    assert [element.attrib for element in cleaned.iter()] == [element.attrib for element in original.iter()]


def test_the_entity_bomb_is_cut_out_unread_and_never_expanded():
    # Ten levels of ten: expanded, this is 10^10 "lol"s, tens of gigabytes; cleaning must not try.
    bomb = HOSTILE_DOCTYPE.replace(
        "]>", '<!ENTITY lol10 "&lol9;&lol9;&lol9;&lol9;&lol9;&lol9;&lol9;&lol9;&lol9;&lol9;">]>'
    )
    text = clean('<text x="1" y="9">&lol10;&lol9;&secret; &amp; &#65;</text>', prolog=bomb)
    assert "DOCTYPE" not in text and "ENTITY" not in text and "lol" not in text and "passwd" not in text
    assert "> &amp; A</text>" in text  # the predefined entities and character references stay


@pytest.mark.parametrize(
    ("body", "gone"),
    [
        ('<script>alert(1)</script><rect width="5" height="5"/>', "script"),
        ('<rect width="5" height="5" onclick="alert(1)" onLoad="x()"/>', "alert"),
        ('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject><rect/>', "foreignObject"),
        ('<a xlink:href="https://evil.example/"><rect width="5" height="5"/></a>', "evil.example"),
        ('<a href="javascript:alert(1)"><rect width="5" height="5"/></a>', "javascript"),
        ('<image href="https://evil.example/t.png" width="5" height="5"/><rect/>', "image"),
        ('<rect width="5" height="5" fill="url(https://evil.example/p.svg#p)"/>', "evil.example"),
        ('<rect width="5" height="5" style="fill: url(//evil.example/x)"/>', "evil.example"),
        ('<style>@import url("https://evil.example/s.css");</style><rect/>', "@import"),
        ('<set attributeName="href" to="https://evil.example/"/><rect/>', "evil.example"),
        ('<?xml-stylesheet href="https://evil.example/s.css"?><rect/>', "evil.example"),
    ],
)
def test_what_runs_or_loads_anything_is_dropped_and_the_drawing_stays(body, gone):
    text = clean(body)
    assert gone not in text and "<rect" in text


def test_references_inside_the_file_stay():
    text = clean(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
        '<rect id="r" width="5" height="5" fill="url(#g)"/><use xlink:href="#r"/><style>rect{fill:url(#g)}</style>'
    )
    assert 'fill="url(#g)"' in text and 'href="#r"' in text and "rect{fill:url(#g)}" in text


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>", "does not parse as XML"),
        (b"<html><body/></html>", "not an SVG drawing"),
        (b"<!DOCTYPE svg [ <!ENTITY a 'x'> <svg/>", "DOCTYPE never ends"),
        (b"\xff\xfe<svg/>", "not UTF-8"),
        (SVG.encode() + b"<g>" * (MAX_SVG_DEPTH + 1) + b"</g>" * (MAX_SVG_DEPTH + 1) + b"</svg>", "nested too deep"),
        (SVG.encode() + b" " * MAX_SVG_BYTES + b"</svg>", "over 2 MB"),
    ],
)
def test_a_file_that_cannot_be_made_safe_is_refused_with_a_reason(data, reason):
    with pytest.raises(Exception, match=reason):
        clean_svg(data)


def test_the_rendering_is_a_png_of_the_drawing_at_a_bounded_size_whatever_it_claims():
    claims = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="50000">'
        '<rect width="100000" height="50000" fill="#ff0000"/></svg>'
    )
    picture = Image.open(io.BytesIO(render_svg(clean_svg(claims.encode()), edge=256)))
    assert (
        picture.format == "PNG"
        and picture.size == (256, 128)
        and picture.convert("RGB").getpixel((10, 10)) == (255, 0, 0)
    )


def test_rendering_fetches_nothing_even_when_handed_an_external_reference(monkeypatch):
    fetched = []
    monkeypatch.setattr("cairosvg.url.fetch", lambda url, resource_type: fetched.append(url) or b"")
    outside = '<image href="http://127.0.0.1:9/x.png" width="5" height="5"/>'
    unclean = f'{SVG}<rect width="100" height="50" fill="blue"/>{outside}</svg>'
    with pytest.raises(Exception, match="can't be drawn"):
        render_svg(unclean.encode())
    assert fetched == []


def test_an_svg_result_is_posted_as_its_rendering_then_the_clean_file():
    rendering, drawing = svg_files(make_svg(300, 150, "files", hostile=True), 8 * 1024 * 1024)
    assert (rendering.extension, drawing.extension) == ("png", "svg") and (rendering.width, rendering.height) == (
        1024,
        512,
    )
    assert b"script" not in drawing.data and b"DOCTYPE" not in drawing.data


def test_use_of_use_that_would_draw_too_much_is_refused_unrendered():
    """Eight levels of ten `<use>`s: a kilobyte of XML, 10^8 draws if rendered."""
    levels = ['<g id="g0"><rect width="1" height="1"/></g>']
    levels += [f'<g id="g{level}">' + f'<use href="#g{level - 1}"/>' * 10 + "</g>" for level in range(1, 9)]
    bomb = f'<svg xmlns="{SVG_NAMESPACE}"><defs>{"".join(levels)}</defs><use href="#g8"/></svg>'.encode()
    with pytest.raises(ImageDataError, match="draws more than"):
        clean_svg(bomb)
    circle = f'<svg xmlns="{SVG_NAMESPACE}"><g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g></svg>'.encode()
    with pytest.raises(ImageDataError, match="in a circle"):
        clean_svg(circle)
    uses = '<use href="#c"/>' * 200
    many = f'<svg xmlns="{SVG_NAMESPACE}"><defs><circle id="c" r="3"/></defs>{uses}</svg>'
    assert clean_svg(many.encode()).count(b"<use") == 200  # a drawing's ordinary reuse is kept


def test_hidden_loads_and_other_vocabularies_are_dropped_from_the_posted_file():
    hostile = (
        f'<svg xmlns="{SVG_NAMESPACE}" xmlns:html="http://www.w3.org/1999/xhtml">'
        '<rect style="fill:\\75rl(http://evil.example/c)" width="5" height="5"/>'
        '<rect style="background-image:image-set(\'http://evil.example/x\' 1x)" width="5" height="5"/>'
        '<html:img src="http://evil.example/x.png"/>'
        '<a><animate attributeName="xlink:href" values="javascript:alert(1)"/><circle r="4"/></a>'
        '<circle r="9" fill="red"/></svg>'
    ).encode()
    clean = clean_svg(hostile)
    assert b"evil" not in clean and b"javascript" not in clean and b"img" not in clean
    assert b'<circle r="9" fill="red"' in clean and b'<circle r="4"' in clean
