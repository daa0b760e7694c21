"""The terminal table: groups per patient and date, flagged first, gauges and trends."""

from tests.conftest import EXAMPLES, SPEC_ANALYTES, invoke

GROUP_HEADER = "P001 · 2025-01-15 — 2 deficient, 1 low, 1 high, 3 borderline"


def portal_table() -> str:
    result = invoke(
        "scan", str(EXAMPLES / "us-portal-export.csv"), "--notes", "none", env={"COLUMNS": "80"}
    )
    return result.stdout


def test_one_panel_per_patient_and_date_with_flag_counts() -> None:
    out = portal_table()
    assert GROUP_HEADER in out
    assert "P001 · 2025-04-22 — 3 borderline, 4 normal" in out
    assert "P001 · 2025-08-05 — 4 normal" in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_flagged_results_come_first_within_a_panel() -> None:
    panel = portal_table().split(GROUP_HEADER)[1].split("P001 · 2025-04-22")[0]
    order = [name for name in ("Ferritin", "TSAT", "B12", "Magnesium") if name in panel]
    positions = [panel.index(name) for name in order]
    assert positions == sorted(positions)  # deficient ferritin/TSAT before borderline B12/Mg


def test_gauge_marks_the_value_inside_its_band() -> None:
    out = invoke("check", "b12=250pg/mL", "b12=100pg/mL", "b12=2000pg/mL", "--notes", "none").stdout
    gauges = [line.split("│")[3].strip() for line in out.splitlines() if line.startswith("B12")]
    # bands: deficient (-), indeterminate (~), normal (=), high (+); ● marks the value.
    # Flagged first: deficient 100, then high 2000, then borderline 250. An open-ended band
    # puts its value toward the inner edge.
    assert gauges == ["--●~~~===+++", "---~~~===●++", "---~●~===+++"]


def test_trends_show_change_direction_and_flag_change() -> None:
    out = portal_table()
    assert "P001 B12: 238 → 561 pg/mL (+323, up) ▁▅█; borderline → normal" in out
    assert "P001 TIBC: 452 → 398 ug/dL (-54, down) █▁; high → normal" in out
    assert "Magnesium: 0.7817 → 0.864 mmol/L" in out


def test_no_colour_when_piped_but_gauge_still_readable() -> None:
    out = invoke("check", "ferritin=9", "--notes", "none").stdout
    assert "\x1b" not in out
    assert "--●~~~===++++++" in out


def test_only_flagged_hides_normal_results_in_human_formats_only() -> None:
    path = str(EXAMPLES / "us-portal-export.csv")
    table = invoke("scan", path, "--only-flagged", "--notes", "none").stdout
    assert "8 normal results not shown (--only-flagged)." in table
    assert "P001 · 2025-08-05" not in table  # a date with only normal results has no panel
    markdown = invoke("scan", path, "--only-flagged", "--format", "markdown").stdout
    assert "| sufficient" not in markdown and "8 normal results not shown" in markdown
    machine = invoke("scan", path, "--only-flagged", "--format", "ndjson").stdout
    assert len(machine.splitlines()) == 20  # every record is kept for scripts


def test_json_carries_the_trend_per_patient_and_test() -> None:
    import json

    result = invoke("scan", str(EXAMPLES / "us-portal-export.csv"), "--format", "json")
    trends = json.loads(result.stdout)["trends"]
    assert trends["truncated"] is False
    ferritin = next(s for s in trends["series"] if s["analyte"] == "ferritin")
    assert ferritin == {
        "patient": "P001",
        "analyte": "ferritin",
        "unit": "ug/L",
        "dates": 3,
        "first": {"date": "2025-01-15", "value": 9.0, "flag": "deficient"},
        "last": {"date": "2025-08-05", "value": 46.0, "flag": "normal"},
        "change": 37.0,
        "direction": "up",
        "flag_changed": True,
    }
    assert [s["analyte"] for s in trends["series"]] == list(SPEC_ANALYTES[:7])  # no MMA, Hcy


def test_narrow_terminal_keeps_test_result_and_flag() -> None:
    out = invoke("check", "b12=250pg/mL", "ferritin=9", "--sex", "female", env={"COLUMNS": "40"})
    lines = out.stdout.splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert "Gauge" not in out.stdout and "indeterminate" in out.stdout
    assert "Ferritin" in out.stdout and "250pg/mL" in out.stdout
