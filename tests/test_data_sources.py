"""Customer data from JSON, CSV and YAML files."""

import pytest

from smartvideo.data_sources import FileCustomerSource, parse_location
from smartvideo.errors import DataSourceError, UnknownCustomer


def test_csv_dotted_columns_nest_and_stay_text(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,customer.first_name,bill.total,bill.lines.0.name,bill.lines.0.amount,bill.roaming\n"
                    "C1,Anna,135.20,Roaming,38.4,true\n")
    record = FileCustomerSource(path).get("C1")
    assert record["customer"] == {"first_name": "Anna"}
    assert record["bill"] == {"total": "135.20", "lines": [{"name": "Roaming", "amount": "38.4"}], "roaming": "true"}


def test_csv_cells_are_never_guessed(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,customer.phone,customer.mobile,customer.first_name,customer.nickname,customer.note\n"
                    "C1,+31612345678,0612345678,Nan,True,\n")
    customer = FileCustomerSource(path).get("C1")["customer"]
    assert customer == {"phone": "+31612345678", "mobile": "0612345678", "first_name": "Nan", "nickname": "True",
                        "note": None}


def test_yaml_mapping_of_id_to_record(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("C7:\n  customer: {first_name: Bo}\n")
    assert FileCustomerSource(path).get("C7")["customer"]["first_name"] == "Bo"


def test_unknown_customer_and_bad_files(tmp_path):
    good = tmp_path / "c.json"
    good.write_text('[{"id": "C1"}]')
    with pytest.raises(UnknownCustomer, match="no customer 'C2'"):
        FileCustomerSource(good).get("C2")
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    with pytest.raises(DataSourceError, match="not valid JSON"):
        FileCustomerSource(bad)
    no_id = tmp_path / "noid.json"
    no_id.write_text('[{"name": "x"}]')
    with pytest.raises(DataSourceError, match="record 1 has no 'id'"):
        FileCustomerSource(no_id)
    with pytest.raises(DataSourceError, match="not found"):
        FileCustomerSource(tmp_path / "missing.csv")


@pytest.mark.parametrize(("value", "expected"), [
    ("52.37,4.89", (52.37, 4.89)), ({"lat": 1, "lon": 2}, (1.0, 2.0)), ("north", None), ("95,1", None), (None, None)])
def test_locations(value, expected):
    assert parse_location(value) == expected
