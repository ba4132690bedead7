"""The project's copy of the API documents (`tests/specs/`, which the stand-ins validate against)
is the reference folder `../shared/specs/`, byte for byte, whenever that folder is beside the
clone; and its note says where each document comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.standins.spec import SPECS_DIR

SHARED_SPECS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "specs"
NOTE = SPECS_DIR / "README.md"
COPIES = sorted(path.name for path in SPECS_DIR.iterdir() if path != NOTE)

needs_shared = pytest.mark.skipif(
    not SHARED_SPECS_DIR.is_dir(), reason=f"{SHARED_SPECS_DIR} is not beside this clone: nothing to compare with"
)


@needs_shared
def test_every_shared_document_has_its_copy():
    shared = sorted(path.name for path in SHARED_SPECS_DIR.iterdir())
    assert [name for name in shared if name not in COPIES] == []


@needs_shared
@pytest.mark.parametrize("name", COPIES)
def test_the_copy_is_the_shared_document_byte_for_byte(name):
    shared = SHARED_SPECS_DIR / name
    assert shared.is_file(), f"tests/specs/{name} has no original in {SHARED_SPECS_DIR}"
    assert (SPECS_DIR / name).read_bytes() == shared.read_bytes(), f"tests/specs/{name} differs from {shared}"


@pytest.mark.parametrize("name", COPIES)
def test_the_note_names_the_source_of_each_copy(name):
    rows = [line for line in NOTE.read_text(encoding="utf-8").splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"tests/specs/README.md should have one row for {name}"
    assert rows[0].split("|")[2].strip(), f"tests/specs/README.md gives no source for {name}"
