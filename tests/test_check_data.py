"""`smartvideo check-data`: a whole export checked against the story's contract, nothing rendered."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def smartvideo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "smartvideo.cli", "--root", str(ROOT), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


HEADER = "id,customer.first_name,customer.phone,bill.total,bill.due_date,bill.lines.0.name,bill.lines.0.amount\n"


def test_good_export_exits_0_with_a_summary(tmp_path):
    data = tmp_path / "ok.csv"
    data.write_text(HEADER + "C1,Anna,+31612345678,135.20,2026-11-28,Calls,12.5\n"
                             "C2,Nan,,-20.50,2026-11-30,Credit,-20.5\n")
    result = smartvideo("check-data", "--story", "first_bill", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "2 records checked against its data contract of story 'first_bill': 2 good, 0 bad" in result.stderr


def test_bad_records_are_listed_one_line_each_and_exit_1(tmp_path):
    data = tmp_path / "bad.csv"
    data.write_text(HEADER + "C1,Anna,0612345678,135.20,2026-11-28,Calls,12.5\n"
                             "C2,Bo,,NaN,2026-02-30,Calls,12.5\n"
                             "C3,Cy,,1.00,2026-11-28,Calls,1\n")
    result = smartvideo("check-data", "--story", "first_bill", "--data", str(data))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "customer C1: customer.phone: expected phone number (E.164, e.g. +31612345678), got '0612345678'",
        "customer C2: bill.total: expected money, got 'NaN'",
        "customer C2: bill.due_date: expected a real date (YYYY-MM-DD), got '2026-02-30'",
    ]
    assert "3 records checked" in result.stderr and "1 good, 2 bad" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_report_has_counts_and_problems(tmp_path):
    data = tmp_path / "bad.json"
    data.write_text(json.dumps([{"id": "K1", "customer": {"first_name": "Sanne"},
                                 "bill": {"total": "2,5", "due_date": "2026-11-28",
                                          "lines": [{"name": "Abonnement", "amount": "2,5"}]}},
                                {"id": "K2", "customer": {"first_name": ""}, "bill": {}}]))
    result = smartvideo("check-data", "--story", "rekening_nl", "--data", str(data), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["records"], report["good_records"], report["bad_records"]) == (2, 1, 1)
    assert [(p["record"], p["field"]) for p in report["problems"]] == [
        ("K2", "customer.first_name"), ("K2", "bill.total"), ("K2", "bill.due_date"), ("K2", "bill.lines")]


@pytest.mark.parametrize(("story", "data"), [
    ("first_bill", "data/customers.json"), ("upgrade_offer", "data/customers.json"),
    ("welcome", "data/customers.json"), ("rekening_nl", "data/klanten.json"),
])
def test_shipped_sample_data_fits_the_shipped_stories(story, data, capsys):
    from smartvideo.cli import main

    assert main(["--root", str(ROOT), "check-data", "--story", story, "--data", str(ROOT / data), "--plan"]) == 0, \
        capsys.readouterr()
