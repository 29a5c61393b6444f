"""The EMR's ICD-10-CM table (mocks/emr/icd10.py) answers as simple_icd_10_cm itself does: the
same codes valid, the same ones billable, the same dotted form and description; and it is built
into the cache folder when that has none."""

from __future__ import annotations

import random

import pytest

from kipu_harness.mocks.emr import icd10
from kipu_harness.mocks.emr.diagnoses import icd10_billable


def by_library(code: str) -> tuple[str | None, str | None]:
    """What icd10_billable answered when it asked the library directly."""
    icd = icd10.library()
    raw = code.strip().upper()
    if not icd.is_valid_item(raw):
        return None, f"{code!r} is not an ICD-10-CM code"
    if not icd.is_leaf(raw):
        return None, f"{code!r} is a category, not a billable code: use a more specific code"
    dotted = icd.add_dot(raw) if "." not in raw else raw
    return dotted, icd.get_description(raw)


FIXED = ["F10.20", "F1020", " f10.20 ", "F10", "F10.2", "F102", "I10", "i10", "A00-A09", "1", "22", "S72.001A",
         "S72001A", "S72.001", "Z00.00", "Z0000", "C7A", "C7A.0", "C7A0", "M1A.0110", "XYZ", "", "F1", "F10.",
         "F1.020", "F10.200", "T36.0X1A", "T360X1A", "U07.1", "O09.A0"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A table built from the library into an empty cache folder, used for every lookup here."""
    folder = tmp_path_factory.mktemp("icd10-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KIPU_HARNESS_CACHE", str(folder))
        icd10.table.cache_clear()
        table = icd10.table()
        assert icd10.cache_file().parent == folder and icd10.cache_file().is_file()
        yield table
    icd10.table.cache_clear()  # the next lookup uses the usual cache folder again


def test_the_table_is_built_once_into_the_cache_folder(built):
    assert built._db is not None, "answers from the file, not from the library in memory"


def test_every_kind_of_text_gets_the_librarys_answer(built):
    for code in FIXED:
        assert icd10_billable(code) == by_library(code), code


def test_a_sample_of_every_item_dotted_and_not_gets_the_librarys_answer(built):
    names = sorted(icd10.items_from_library())
    for name in random.Random(11).sample(names, 400):
        for code in (name, name.replace(".", ""), name.lower()):
            assert icd10_billable(code) == by_library(code), code
