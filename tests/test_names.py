"""How test names are matched: Unicode folding, specimen and method words, look-alikes and
close misses, against the label list in tests/fixtures/labels/labels.csv."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import b12check
from b12check.core.build import DATA_DIR
from b12check.core.models import validate_names, validate_ranges
from b12check.core.names import name_key, name_words
from b12check.core.refdata import Reference
from b12check.core.yamlload import load_yaml_file
from tests.conftest import REPO, invoke, overlay, run_cli

LABELS = Path(__file__).parent / "fixtures" / "labels" / "labels.csv"
KINDS = ("match", "look-alike", "near", "other")
NOT_COVERED = "not a test b12check covers"
# A value each covered test reads without an error, in one of its units.
VALUES = {
    "b12": ("400", "pg/mL"),
    "vitamin_d": ("30", "ng/mL"),
    "magnesium": ("0.85", "mmol/L"),
    "ferritin": ("50", "ug/L"),
    "iron": ("100", "ug/dL"),
    "tibc": ("300", "ug/dL"),
    "uibc": ("200", "ug/dL"),
    "tsat": ("30", "%"),
    "mma": ("0.2", "umol/L"),
    "homocysteine": ("10", "umol/L"),
}
COMPANIONS = {"uibc"}


def labels() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    return rows


def value_of(row: dict[str, str]) -> tuple[str, str]:
    # Look-alikes and unknown names get a vitamin D-like value: read as vitamin D it would be
    # flagged, so a match would show.
    return VALUES.get(row["expected"], ("300", "ng/mL"))


def check_record(row: dict[str, str], status: str, analyte: str | None, reason: str | None) -> None:
    """``row``'s spelling was read as the list says."""
    expected = row["expected"] or None
    where = f"{row['spelling']!r} ({row['kind']}, {row['source']})"
    if row["kind"] == "match" and expected in COMPANIONS:
        assert (status, analyte) == ("skipped", expected), where
    elif row["kind"] == "match":
        assert (status, analyte) == ("result", expected), f"{where}: {status} {reason}"
    else:
        assert (status, analyte) == ("skipped", None), f"{where}: {status} {analyte}"
        assert reason is not None
        if row["kind"] == "look-alike":
            assert reason.startswith("not covered: looks like "), f"{where}: {reason}"
        elif row["kind"] == "near":
            assert reason.startswith(f"{NOT_COVERED}; did you mean {expected}"), where
        else:
            assert reason == NOT_COVERED, f"{where}: {reason}"


def test_the_label_list_is_large_and_well_formed() -> None:
    rows = labels()
    assert len(rows) >= 300
    assert sum(row["kind"] == "look-alike" for row in rows) >= 50
    assert {row["kind"] for row in rows} == set(KINDS)
    spellings = [row["spelling"] for row in rows]
    assert len(set(spellings)) == len(spellings), "a spelling listed twice"
    for row in rows:
        assert row["source"], row
        assert bool(row["expected"]) == (row["kind"] in ("match", "near")), row
        assert not row["expected"] or row["expected"] in VALUES, row


def test_every_label_through_scan() -> None:
    """A CSV export holding every spelling: each row is read as the list says."""
    rows = labels()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Test", "Result", "Unit"])
    for row in rows:
        writer.writerow([row["spelling"], *value_of(row)])
    result = invoke("scan", "-", "--format", "json", input=out.getvalue())
    assert result.exit_code in (0, 1), result.stderr
    records = {record["line"]: record for record in json.loads(result.stdout)["records"]}
    for line, row in enumerate(rows, start=2):
        record = records[line]
        assert record["label"] == row["spelling"]
        check_record(row, record["status"], record["analyte"], record["reason"])


def test_every_label_through_the_api() -> None:
    rows = labels()
    ranges = b12check.load_ranges()
    observations = [
        b12check.Observation(row["spelling"], value_of(row)[0], unit=value_of(row)[1])
        for row in rows
    ]
    results = list(ranges.check_many(observations))
    assert len(results) == len(rows)
    for row, result in zip(rows, results, strict=True):
        check_record(row, result.status, result.analyte, result.reason)


# ---------------------------------------------------------------------- the examples


def scan_records(text: str, *args: str) -> list[dict[str, Any]]:
    result = invoke("scan", "-", "--format", "json", *args, input=text)
    assert result.exit_code in (0, 1), result.stderr
    records: list[dict[str, Any]] = json.loads(result.stdout)["records"]
    return records


@pytest.mark.parametrize(
    ("label", "value", "unit", "analyte"),
    [
        ("Serum vitamin B12", "400", "pg/mL", "b12"),
        ("Total 25-OH vitamin D", "30", "ng/mL", "vitamin_d"),
        ("Vitamin D3", "30", "ng/mL", "vitamin_d"),
        ("Methylmalonic Acid, Serum", "0.2", "umol/L", "mma"),
        ("Iron Bind.Cap.(TIBC)", "300", "ug/dL", "tibc"),
        ("Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma", "400", "pg/mL", "b12"),
        ("Magnesium [Moles/volume] in Serum or Plasma", "0.85", "mmol/L", "magnesium"),
        ("Vit B12 SerPl-mCnc", "400", "pg/mL", "b12"),
    ],
)
def test_names_beyond_exact_aliases_are_read(
    label: str, value: str, unit: str, analyte: str
) -> None:
    (record,) = scan_records(f'Test,Result,Unit\n"{label}",{value},{unit}\n')
    assert (record["status"], record["analyte"], record["flag"]) == ("result", analyte, "normal")


@pytest.mark.parametrize(
    ("label", "value", "unit", "says"),
    [
        ("D-димер", "300", "ng/mL", "looks like 25-hydroxyvitamin D but is D-dimer"),
        ("Mg в эритроцитах", "0.3", "mmol/L", "is measured in red blood cells"),
        ("Magnesium, RBC", "4.5", "mg/dL", "is measured in red blood cells"),
        ("Vitamin D, 1,25-Dihydroxy", "40", "pg/mL", "1,25-dihydroxyvitamin D"),
        ("Holotranscobalamin", "30", "pmol/L", "holotranscobalamin"),
        ("Transferrin", "250", "mg/dL", "transferrin, the protein"),
    ],
)
def test_look_alikes_are_skipped_with_the_reason(
    label: str, value: str, unit: str, says: str
) -> None:
    (record,) = scan_records(f'Test,Result,Unit\n"{label}",{value},{unit}\n')
    assert (record["status"], record["analyte"], record["flag"]) == ("skipped", None, None)
    assert record["reason"].startswith("not covered: looks like ")
    assert says in record["reason"]


def test_a_file_of_look_alikes_flags_nothing() -> None:
    """Read as vitamin D and red-cell magnesium as serum, these rows were flagged (exit 1)."""
    export = "Test,Result,Unit\nD-димер,300,ng/mL\nMg в эритроцитах,0.3,mmol/L\n".encode()
    done = run_cli(["scan", "-", "--format", "csv"], input=export)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8"))))
    assert [(row["status"], row["analyte"], row["flag"]) for row in rows] == [
        ("skipped", "", ""),
        ("skipped", "", ""),
    ]


def test_an_overlay_alias_in_cyrillic_matches_itself_only(tmp_path: Path) -> None:
    aliases = "[Ферритин, Ферритин крови]"  # the alias, and one of two words
    lab = overlay(tmp_path, f"version: 1\nanalytes:\n  ferritin:\n    aliases: {aliases}\n")
    records = scan_records(
        "Test,Result,Unit\nГлюкоза,5.5,mmol/L\nФерритин крови,50,ug/L\nКреатинин,80,umol/L\n",
        "--ranges",
        lab,
    )
    assert [(r["label"], r["status"], r["analyte"]) for r in records] == [
        ("Глюкоза", "skipped", None),
        ("Ферритин крови", "result", "ferritin"),
        ("Креатинин", "skipped", None),
    ]


def test_a_name_of_no_letter_cannot_be_an_alias(tmp_path: Path) -> None:
    lab = overlay(tmp_path, 'version: 1\nanalytes:\n  ferritin:\n    aliases: ["—", "%"]\n')
    result = invoke("ranges", "validate", lab)
    assert result.exit_code == 2
    assert "name '—' has no letter or digit" in result.stderr
    assert "name '%' has no letter or digit" in result.stderr


def test_a_close_miss_is_skipped_with_did_you_mean() -> None:
    (record,) = scan_records("Test,Result,Unit\nFerritn,50,ug/L\n")
    assert (record["status"], record["reason"]) == (
        "skipped",
        f"{NOT_COVERED}; did you mean ferritin?",
    )
    (other,) = scan_records("Test,Result,Unit\nVitamin A,50,ug/dL\n")
    assert other["reason"] == NOT_COVERED  # a different vitamin, not a misspelling


def test_check_says_why_a_look_alike_is_refused() -> None:
    result = invoke("check", "D-димер=300ng/mL", "--format", "json")
    (record,) = json.loads(result.stdout)["records"]
    assert (record["status"], record["analyte"]) == ("error", None)
    assert record["reason"].startswith("'D-димер' is not covered: looks like 25-hydroxyvitamin D")
    with pytest.raises(b12check.UnknownTest, match="but is D-dimer"):
        b12check.load_ranges().check("D-dimer", "300", unit="ng/mL")


# ---------------------------------------------------------------------- folding


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("25-OH Vitamin D", ("25", "oh", "vitamin", "d")),
        ("D-димер", ("d", "димер")),
        ("Transferrinsättigung", ("transferrinsattigung",)),
        ("Ｆｅｒｒｉｔｉｎ", ("ferritin",)),  # full-width letters (NFKC)
        ("Vitamin B₁₂", ("vitamin", "b12")),
        ("Йод", ("йод",)),  # a Cyrillic letter keeps its mark
        ("Folsäure", ("folsaure",)),
        ("Straße", ("strasse",)),
        ("— % —", ()),
    ],
)
def test_folding_keeps_every_letter(text: str, words: tuple[str, ...]) -> None:
    assert name_words(text) == words


@given(st.text(max_size=40))
def test_the_key_is_empty_only_without_letters_or_digits(text: str) -> None:
    import unicodedata

    folded = unicodedata.normalize("NFKC", text)
    assert (name_key(text) == "") == (not any(c.isalnum() for c in folded))


@given(
    st.sampled_from(["Ferritin", "Serum Iron", "Vitamin B12", "Magnesium", "TIBC"]),
    st.lists(st.sampled_from(list(" ,.-_/;:")), max_size=4),
)
def test_punctuation_and_case_never_change_a_match(
    reference: Reference, name: str, marks: list[str]
) -> None:
    spelled = "".join(marks) + name.upper().replace(" ", " " + "".join(marks)) + "".join(marks)
    expected = reference.lookup(name)
    assert expected is not None
    assert reference.lookup(spelled) is expected


@given(st.text(max_size=30))
def test_any_text_gets_an_answer(reference: Reference, text: str) -> None:
    found = reference.identify(text)
    assert found.skip_reason
    assert found.look_alike is None or found.analyte is None


# Specimen and method words as exports add them around a test's name.
DECORATIONS = (
    "Serum {}",
    "{}, Serum",
    "{} Level",
    "{} (calc)",
    "Total {}",
    "{}, Plasma",
    "{} [Mass/volume] in Serum or Plasma",
    "S-{}",
    "{} - Result",
    "{} ser/plas",
)


@given(st.sampled_from(labels()), st.sampled_from(DECORATIONS))
def test_specimen_and_method_words_never_change_the_reading(
    reference: Reference, row: dict[str, str], decoration: str
) -> None:
    """A covered test stays itself, and a look-alike stays unread, whatever specimen or
    method words an export adds around the name."""
    found = reference.identify(decoration.format(row["spelling"]))
    test = found.analyte or found.companion
    if row["kind"] == "match":
        assert test is not None and test.id == row["expected"]
    elif row["kind"] == "look-alike":
        assert test is None and found.look_alike


def test_a_wide_column_of_a_look_alike_says_what_it_is() -> None:
    records = scan_records(
        "Patient,D-Dimer (ng/mL),Vitamin D (ng/mL),Magnesium RBC (mg/dL)\nP1,300,30,4.5\n"
    )
    assert [(r["column"], r["analyte"], r["reason"]) for r in records] == [
        (
            "D-Dimer (ng/mL)",
            None,
            "not covered: looks like 25-hydroxyvitamin D but is D-dimer, a blood-clotting test",
        ),
        ("Vitamin D (ng/mL)", "vitamin_d", None),
        (
            "Magnesium RBC (mg/dL)",
            None,
            "not covered: looks like Magnesium (serum) but is measured in red blood cells",
        ),
    ]


# ---------------------------------------------------------------------- the data file


def test_the_names_file_is_validated() -> None:
    ranges, _ = validate_ranges(load_yaml_file(REPO / "reference_ranges.yaml").data)
    assert ranges is not None
    data = load_yaml_file(DATA_DIR / "names.yaml").data
    model, problems = validate_names(data, ranges)
    assert model is not None and problems == []
    broken = {
        **data,
        "qualifiers": ["serum", "--"],
        "other_tests": [{"is": "x", "looks_like": "vitamin_q", "words": ["a*b"]}],
    }
    model, problems = validate_names(broken, ranges)
    assert model is None
    messages = [message for _, message in problems]
    assert "'--' has no letter or digit" in messages
    assert "unknown test 'vitamin_q'" in messages
    assert "'a*b': '^' only starts a phrase, '*' only ends a word" in messages


def test_the_readme_counts_the_label_list() -> None:
    rows = labels()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    look_alikes = sum(row["kind"] == "look-alike" for row in rows)
    assert f"holds {len(rows)} spellings" in readme
    assert f"{look_alikes} of them look-alikes" in readme


def test_the_label_summary_gives_a_look_alike_its_reason(tmp_path: Path) -> None:
    """The stderr line for a label not read says what it is, as its skipped records do."""
    export = tmp_path / "lab.csv"
    export.write_text(
        "patient,test,result,unit\nP1,D-Dimer,300,ng/mL\nP1,D-Dimer,310,ng/mL\n", encoding="utf-8"
    )
    result = invoke("scan", str(export), "--format", "csv")
    assert "test label 'D-Dimer' not read (2 rows): not covered: looks like" in result.stderr
    assert "D-dimer" in result.stderr.split("test label 'D-Dimer'", 1)[1]
