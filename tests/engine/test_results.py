from hhcl.engine import format_results_table


def test_table_has_a_row_per_dataset():
    table = format_results_table({"A": {"mAP": 50.0, "Rank-1": 60.0, "Rank-5": 70.0, "Rank-10": 80.0,
                                        "mINP": 30.0, "metric": 55.0},
                                  "B": {"mAP": 12.345, "Rank-1": 1.0}}, "title")
    lines = table.splitlines()
    assert lines[0] == "title"
    assert [c.strip() for c in lines[1].split("|")[1:-1]] == ["dataset", "mAP", "Rank-1", "Rank-5", "Rank-10", "mINP"]
    assert [c.strip() for c in lines[3].split("|")[1:-1]] == ["A", "50.00", "60.00", "70.00", "80.00", "30.00"]
    assert [c.strip() for c in lines[4].split("|")[1:-1]] == ["B", "12.35", "1.00", "-", "-", "-"]


def test_single_dataset_results_as_fastreid_flattens_them():
    table = format_results_table({"mAP": 1.0, "Rank-1": 2.0, "dataset": "Only"})
    assert "| Only " in table
