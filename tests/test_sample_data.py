"""Tests of the sample-export generator (pipelines.tools.sample_data): determinism, header contract, encodings,
dirt bookkeeping and the business patterns the analyses rely on. Small populations keep it fast."""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from pipelines.tools.sample_data import DirtRates, Volumes, generate
from pipelines.tools.sample_data.cli import main as cli_main
from pipelines.tools.sample_data.writers import ALL_LAYOUTS

EXPORT_KINDS = Path(__file__).resolve().parents[1] / "pipelines" / "export_kinds.toml"
N = 300
SEED = 11


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def normalise(header: str) -> str:
    """Header matching as the pipeline does it: case, BOM, surrounding spaces, and space/_/-/. alike."""
    text = header.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s_\-.]+", " ", text)


def kinds_config() -> dict:
    with EXPORT_KINDS.open("rb") as handle:
        return tomllib.load(handle)["kinds"]


def header_map(kind: dict) -> dict[str, str]:
    """Normalised header -> canonical column of one kind."""
    out = {}
    for canonical, aliases in kind["columns"].items():
        out[normalise(canonical)] = canonical
        for alias in aliases:
            out[normalise(alias)] = canonical
    return out


def detect_kind(folder: str, headers: list[str]) -> str | None:
    """Kind detection as documented in export_kinds.toml."""
    kinds = kinds_config()
    best = None
    for name, kind in kinds.items():
        if kind["source"] != folder:
            continue
        mapping = header_map(kind)
        present = {mapping[normalise(h)] for h in headers if normalise(h) in mapping}
        if not set(kind["required"]) <= present:
            continue
        score = (len(kind["required"]), len(present))
        if best is None or score > best[0]:
            best = (score, name)
    return best[1] if best else None


def read_manifest(truth: Path) -> dict:
    return json.loads((truth / "manifest.json").read_text(encoding="utf-8"))


ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gbk"}


def csv_rows(inbox: Path, entry: dict) -> list[list[str]]:
    """All rows (header first) of a CSV export, decoded with its declared encoding."""
    text = (inbox / entry["path"]).read_bytes().decode(ENCODINGS[entry["encoding"]])
    return list(csv.reader(io.StringIO(text, newline="")))


def all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_a(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("a")
    generate(base / "inbox", base / "truth", customers=N, seed=SEED)
    return base / "inbox", base / "truth"


@pytest.fixture(scope="module")
def run_b(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("b")
    generate(base / "inbox", base / "truth", customers=N, seed=SEED)
    return base / "inbox", base / "truth"


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> tuple[Path, Path]:
    """A bigger population without dirt, for the business-pattern checks."""
    base = tmp_path_factory.mktemp("clean")
    generate(base / "inbox", base / "truth", customers=1500, seed=5, dirt=DirtRates().scaled(0.0),
             sources=("sales",))
    return base / "inbox", base / "truth"


# ---------------------------------------------------------------------------------------------
# Determinism and layout
# ---------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_files(run_a, run_b):
    for a, b in zip(run_a, run_b, strict=True):
        files_a, files_b = all_files(a), all_files(b)
        assert files_a.keys() == files_b.keys()
        for name in files_a:
            assert files_a[name] == files_b[name], name


def test_different_seed_gives_different_files(run_a, tmp_path):
    generate(tmp_path / "inbox", tmp_path / "truth", customers=N, seed=SEED + 1)
    a, b = all_files(run_a[0]), all_files(tmp_path / "inbox")
    assert a.keys() == b.keys()
    assert all(a[name] != b[name] for name in a)


def test_expected_files_and_row_counts(run_a):
    inbox, truth = run_a
    manifest = read_manifest(truth)
    paths = {f["path"] for f in manifest["files"]}
    assert {
        "sales/orders_2023.csv", "sales/orders_2024.csv", "sales/orders_2025.csv", "sales/销售明细_2026.csv",
        "sales/orders_2025 (1).csv", "crm/客户列表_fxiaoke.csv", "crm/跟进记录.csv", "crm/opportunities_zoho.csv",
        "service/tickets.xlsx", "service/nps_survey.csv", "email/campaigns.csv", "email/email_events.csv",
    } == paths
    on_disk = {p for p in all_files(inbox)}
    assert on_disk == paths
    assert manifest["arguments"]["customers"] == N
    for entry in manifest["files"]:
        if entry["encoding"] == "xlsx":
            continue
        raw = (inbox / entry["path"]).read_bytes()
        terminator = b"\r\n" if entry["line_ending"] == "CRLF" else b"\n"
        # No embedded line breaks: every line is one row (header + data rows).
        assert raw.count(terminator) == entry["rows"] + 1, entry["path"]
        assert raw.count(b"\n") == raw.count(terminator)
        assert len(csv_rows(inbox, entry)) == entry["rows"] + 1


def test_every_header_maps_to_its_kind(run_a):
    inbox, truth = run_a
    kinds = kinds_config()
    for entry in read_manifest(truth)["files"]:
        folder = entry["path"].split("/")[0]
        if entry["encoding"] == "xlsx":
            workbook = openpyxl.load_workbook(inbox / entry["path"], read_only=True)
            header_sets = [[c for c in next(ws.iter_rows(values_only=True))] for ws in workbook.worksheets]
            workbook.close()
        else:
            header_sets = [csv_rows(inbox, entry)[0]]
        for headers in header_sets:
            mapping = header_map(kinds[entry["kind"]])
            unknown = [h for h in headers if normalise(h) not in mapping]
            assert not unknown, (entry["path"], unknown)
            mapped = [mapping[normalise(h)] for h in headers]
            assert len(set(mapped)) == len(mapped), entry["path"]
            assert detect_kind(folder, headers) == entry["kind"], entry["path"]


def test_layouts_match_export_kinds():
    kinds = kinds_config()
    for layout in ALL_LAYOUTS:
        mapping = header_map(kinds[layout.kind])
        assert [mapping[normalise(h)] for h in layout.headers] == layout.canonical


def test_encodings(run_a):
    inbox, _ = run_a
    gbk = (inbox / "crm" / "客户列表_fxiaoke.csv").read_bytes()
    assert gbk.decode("gbk").startswith("客户ID,关联ERP编码")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    chinese_sales = (inbox / "sales" / "销售明细_2026.csv").read_bytes()
    assert chinese_sales.startswith(b"\xef\xbb\xbf")
    assert chinese_sales.decode("utf-8-sig").startswith("订单编号,行号,客户编码")
    english = (inbox / "sales" / "orders_2024.csv").read_bytes()
    assert english.startswith(b"Order ID,Line No,Customer Code")
    assert (inbox / "sales" / "orders_2025 (1).csv").read_bytes() == (inbox / "sales" / "orders_2025.csv").read_bytes()


def test_value_sets(run_a):
    inbox, truth = run_a
    files = {f["path"]: f for f in read_manifest(truth)["files"]}

    def column(path: str, header: str) -> set[str]:
        rows = csv_rows(inbox, files[path])
        i = rows[0].index(header)
        return {r[i] for r in rows[1:]} - {""}

    assert column("sales/orders_2024.csv", "Status") == {"completed", "refunded", "cancelled"}
    assert column("sales/销售明细_2026.csv", "订单状态") == {"已完成", "已退款", "已取消"}
    assert column("sales/orders_2024.csv", "Channel") <= {"Tmall", "JD", "WeChat Mini Program", "Offline Store",
                                                          "Direct Sales", "Distributor"}
    assert column("crm/跟进记录.csv", "跟进方式") == {"电话", "拜访", "会议", "微信"}
    assert column("crm/opportunities_zoho.csv", "Deal Status") == {"Won", "Lost", "Open"}
    assert column("crm/opportunities_zoho.csv", "Stage") <= {"Qualification", "Needs Analysis", "Proposal",
                                                             "Negotiation", "Closed Won", "Closed Lost"}
    assert column("email/email_events.csv", "Event") <= {"sent", "delivered", "open", "click", "bounce",
                                                          "unsubscribe"}
    workbook = openpyxl.load_workbook(inbox / "service" / "tickets.xlsx", read_only=True)
    rows = list(workbook["Tickets"].iter_rows(values_only=True))
    workbook.close()
    header = rows[0]
    assert len(rows) - 1 == files["service/tickets.xlsx"]["rows"]
    values = {h: {r[i] for r in rows[1:]} - {None} for i, h in enumerate(header)}
    assert values["Category"] <= {"Complaint", "Inquiry", "Technical Issue", "Return & Refund", "Delivery"}
    assert values["Priority"] <= {"Low", "Medium", "High", "Urgent"}
    assert values["Status"] <= {"Open", "Pending", "Resolved", "Closed"}
    assert values["Channel"] <= {"Phone", "Email", "WeChat", "Web"}
    # Some date cells are real Excel dates, others text.
    kinds_of_dates = {type(r[3]).__name__ for r in rows[1:]}
    assert {"datetime", "str"} <= kinds_of_dates
    # Exactly one of phone / e-mail per ticket.
    assert all((r[1] is None) != (r[2] is None) for r in rows[1:])


# ---------------------------------------------------------------------------------------------
# Dirt
# ---------------------------------------------------------------------------------------------


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_dirt_log_matches_files(run_a):
    assert_dirt_matches_files(*run_a)


def test_dirt_log_matches_files_when_written_in_chunks(tmp_path, monkeypatch):
    """Big sales files are written in chunks: row numbers must still be right across chunks."""
    from pipelines.tools.sample_data import sales

    monkeypatch.setattr(sales, "CHUNK_ROWS", 997)
    generate(tmp_path / "inbox", tmp_path / "truth", customers=N, seed=SEED, sources=("sales",))
    assert_dirt_matches_files(tmp_path / "inbox", tmp_path / "truth")


def assert_dirt_matches_files(inbox: Path, truth: Path) -> None:
    """Every logged dirty cell holds the logged value at the logged row; duplicates repeat the row above."""
    dirt = pl.read_parquet(truth / "dirt.parquet")
    files = {f["path"]: f for f in read_manifest(truth)["files"]}
    layouts = {(layout.kind, tuple(layout.headers)): layout for layout in ALL_LAYOUTS}
    assert dirt.height > 0
    assert set(dirt.get_column("file").unique()) <= set(files)
    for path, entries in dirt.partition_by("file", as_dict=True).items():
        path = path[0]
        entry = files[path]
        if entry["encoding"] == "xlsx":
            workbook = openpyxl.load_workbook(inbox / path, read_only=True)
            sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}
            workbook.close()
        else:
            sheets = {None: csv_rows(inbox, entry)}
        for record in entries.iter_rows(named=True):
            if record["dirt_type"] == "duplicate_delivery":
                assert record["row"] is None
                assert (inbox / path).read_bytes() == (inbox / record["clean_value"]).read_bytes()
                continue
            rows = sheets[record["sheet"]]
            layout = layouts[(entry["kind"], tuple(rows[0]))]
            row = rows[record["row"] - 1]  # spreadsheet row numbers: header is row 1
            if record["dirt_type"] == "duplicate_row":
                assert row == rows[record["row"] - 2], (path, record)
                continue
            cell = row[layout.canonical.index(record["column"])]
            if entry["encoding"] == "xlsx":
                assert _cell_text(cell) == record["value"] or (
                    isinstance(cell, float) and abs(cell - float(record["value"])) < 1e-6), (path, record, cell)
            else:
                assert (cell or None) == record["value"], (path, record, cell)
            if record["dirt_type"] not in ("missing_value", "missing_customer_code"):
                assert record["value"] != record["clean_value"], record


def test_unlisted_cells_are_clean(run_a):
    """Cells not in the dirt log hold the clean formats."""
    inbox, truth = run_a
    dirt = pl.read_parquet(truth / "dirt.parquet").filter(pl.col("column").is_not_null())
    listed = {(r["file"], r["row"], r["column"]) for r in dirt.iter_rows(named=True)}
    files = {f["path"]: f for f in read_manifest(truth)["files"]}
    patterns = {
        "order_date": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
        "amount": r"\d+\.\d{2}",
        "unit_price": r"\d+\.\d{2}",
        "phone": r"1[3-9]\d{9}",
        "email": r"[a-z0-9._\-]+@[a-z0-9.\-]+",
        "created_date": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
        "event_time": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
        "customer_code": r"C\d{7}",
    }
    layouts = {(layout.kind, tuple(layout.headers)): layout for layout in ALL_LAYOUTS}
    checked = Counter()
    for path, entry in files.items():
        if entry["encoding"] == "xlsx" or entry["copy_of"]:
            continue
        rows = csv_rows(inbox, entry)
        layout = layouts[(entry["kind"], tuple(rows[0]))]
        for column, pattern in patterns.items():
            if column not in layout.canonical:
                continue
            i = layout.canonical.index(column)
            for number, row in enumerate(rows[1:], start=2):
                if (path, number, column) in listed or row[i] == "":
                    continue
                assert re.fullmatch(pattern, row[i]), (path, number, column, row[i])
                checked[column] += 1
    assert checked["phone"] > 100 and checked["order_date"] > 1000


def test_dirt_rates_near_configured(run_a):
    inbox, truth = run_a
    rates = DirtRates()
    dirt = pl.read_parquet(truth / "dirt.parquet")
    manifest = read_manifest(truth)
    assert manifest["dirt_rates"] == rates.as_dict()
    rows_of = {f["path"]: f["rows"] for f in manifest["files"] if not f["copy_of"]}
    sales = [p for p in rows_of if p.startswith("sales/")]
    sales_rows = sum(rows_of[p] for p in sales)
    sales_dirt = dirt.filter(pl.col("file").is_in(sales))

    def count(frame: pl.DataFrame, dirt_type: str, column: str | None = None) -> int:
        frame = frame.filter(pl.col("dirt_type") == dirt_type)
        if column:
            frame = frame.filter(pl.col("column") == column)
        return frame.height

    def near(observed: int, rate: float, eligible: int) -> bool:
        expected = rate * eligible
        return abs(observed - expected) <= 0.15 * expected + 4

    assert near(count(sales_dirt, "duplicate_row"), rates.duplicate_row, sales_rows)
    assert near(count(sales_dirt, "date_format", "order_date"), rates.date_format, sales_rows)
    assert near(count(sales_dirt, "amount_format", "amount"), rates.amount_format, sales_rows)
    assert near(count(sales_dirt, "amount_format", "unit_price"), rates.amount_format, sales_rows)
    for column in ("region", "channel", "category"):
        assert near(count(sales_dirt, "missing_value", column), rates.missing_optional, sales_rows)
    for dirt_type, rate in (("bad_date", rates.bad_date), ("bad_amount", rates.bad_amount),
                            ("missing_customer_code", rates.missing_customer_code)):
        assert near(count(sales_dirt, dirt_type), rate, sales_rows)
        assert not sales_dirt.filter(pl.col("dirt_type") == dirt_type).get_column("recoverable").any()
    crm = dirt.filter(pl.col("file") == "crm/客户列表_fxiaoke.csv")
    accounts = read_csv_frame(inbox, manifest, "crm/客户列表_fxiaoke.csv")
    phones = accounts.get_column("手机").is_not_null().sum()
    emails = accounts.get_column("邮箱").is_not_null().sum()
    assert near(count(crm, "phone_format"), rates.phone_format, phones)
    assert near(count(crm, "email_format"), rates.email_format, emails)
    assert dirt.filter(pl.col("dirt_type") == "duplicate_delivery").height == 1
    # Roughly 0.2% of the sales rows are unrecoverable.
    bad_rows = sales_dirt.filter(~pl.col("recoverable")).select("file", "row").unique().height
    assert 0.0005 < bad_rows / sales_rows < 0.006


def read_csv_frame(inbox: Path, manifest: dict, path: str) -> pl.DataFrame:
    entry = next(f for f in manifest["files"] if f["path"] == path)
    rows = csv_rows(inbox, entry)
    return pl.DataFrame([[c or None for c in r] for r in rows[1:]], schema=rows[0], orient="row")


def test_unrecoverable_values_in_scores(tmp_path):
    """With more dirt, out-of-range CSAT and NPS values show up where the log says."""
    generate(tmp_path / "inbox", tmp_path / "truth", customers=N, seed=3, dirt=DirtRates().scaled(10.0),
             sources=("service",))
    dirt = pl.read_parquet(tmp_path / "truth" / "dirt.parquet")
    csat = dirt.filter(pl.col("dirt_type") == "csat_out_of_range")
    nps = dirt.filter(pl.col("dirt_type") == "nps_out_of_range")
    assert csat.height > 0 and nps.height > 0
    assert set(csat.get_column("value").unique()) <= {"0", "6", "7", "10"}
    assert set(nps.get_column("value").unique()) <= {"-1", "11", "12", "15"}
    assert not csat.get_column("recoverable").any()


def test_workbook_splits_into_sheets(tmp_path):
    generate(tmp_path / "inbox", tmp_path / "truth", customers=N, seed=SEED, sources=("service",),
             volumes=Volumes(max_rows_per_sheet=50))
    manifest = read_manifest(tmp_path / "truth")
    entry = next(f for f in manifest["files"] if f["kind"] == "service_tickets")
    assert len(entry["sheets"]) >= 2
    assert sum(entry["sheets"].values()) == entry["rows"]
    workbook = openpyxl.load_workbook(tmp_path / "inbox" / "service" / "tickets.xlsx", read_only=True)
    assert [ws.title for ws in workbook.worksheets] == list(entry["sheets"])
    for ws in workbook.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        assert rows[0][0] == "Ticket ID"
        assert len(rows) - 1 == entry["sheets"][ws.title]
    workbook.close()
    dirt = pl.read_parquet(tmp_path / "truth" / "dirt.parquet").filter(pl.col("file") == "service/tickets.xlsx")
    assert dirt.get_column("row").max() <= 51
    assert dirt.get_column("sheet").n_unique() >= 2


# ---------------------------------------------------------------------------------------------
# Truth and business patterns
# ---------------------------------------------------------------------------------------------


def test_truth_tables(run_a):
    _, truth = run_a
    customers = pl.read_parquet(truth / "customers.parquet")
    assert customers.height == N + round(N * 0.15)
    assert customers.get_column("phone_e164").str.contains(r"^\+861[3-9]\d{9}$").all()
    assert customers.get_column("phone_e164").n_unique() == customers.height
    assert customers.get_column("email").n_unique() == customers.height
    assert (customers.get_column("email") == customers.get_column("email").str.to_lowercase()).all()
    prospects = customers.filter(pl.col("is_prospect"))
    assert prospects.get_column("sales_customer_code").is_null().all()
    assert prospects.get_column("first_purchase_date").is_null().all()
    buyers = customers.filter(~pl.col("is_prospect"))
    assert buyers.get_column("sales_customer_code").is_not_null().all()
    churned = buyers.filter(pl.col("churn_date").is_not_null())
    assert 0.2 < churned.height / buyers.height < 0.7
    assert (churned.get_column("drift_start") <= churned.get_column("churn_date")).all()
    assert (churned.get_column("churn_date") <= date(2026, 6, 30)).all()
    identity = pl.read_parquet(truth / "identity.parquet")
    assert set(identity.get_column("kind").unique()) == {"sales_order_lines", "crm_accounts", "service_tickets",
                                                         "service_nps", "email_events"}
    emails = identity.filter(pl.col("kind") == "email_events")
    unknown = emails.get_column("customer_id").is_null().mean()
    assert 0.005 < unknown < 0.08
    assert identity.filter(pl.col("kind") != "email_events").get_column("customer_id").is_not_null().all()
    known = emails.drop_nulls("customer_id").join(customers, on="customer_id")
    assert (known.get_column("source_key") == known.get_column("email")).all()


def _sales_lines(inbox: Path) -> pl.DataFrame:
    frames = []
    for path in sorted((inbox / "sales").glob("*.csv")):
        if "(1)" in path.name:
            continue
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
        frames.append(frame.select(
            pl.nth(0).alias("order_id"), pl.nth(2).alias("code"), pl.nth(4).alias("when"),
            pl.nth(11).cast(pl.Float64).alias("amount"), pl.nth(14).alias("status")))
    return pl.concat(frames).with_columns(pl.col("when").str.to_datetime("%Y-%m-%d %H:%M:%S"))


def test_revenue_is_concentrated(clean_run):
    inbox, _ = clean_run
    lines = _sales_lines(inbox).filter(pl.col("status").is_in(["completed", "已完成"]))
    revenue = lines.group_by("code").agg(pl.col("amount").sum()).sort("amount", descending=True)
    top = revenue.head(revenue.height // 5).get_column("amount").sum()
    assert top / revenue.get_column("amount").sum() >= 0.6
    assert 16 <= _sales_lines(inbox).height / 1500 <= 24  # about 20 lines per customer


def test_prospects_have_no_orders(clean_run, run_a):
    inbox, truth = clean_run
    customers = pl.read_parquet(truth / "customers.parquet")
    codes = set(_sales_lines(inbox).get_column("code").unique())
    buyer_codes = set(customers.filter(~pl.col("is_prospect")).get_column("sales_customer_code"))
    assert codes == buyer_codes
    # In the CRM file, prospects never carry an ERP code.
    inbox_a, truth_a = run_a
    accounts = read_csv_frame(inbox_a, read_manifest(truth_a), "crm/客户列表_fxiaoke.csv")
    truth_a_customers = pl.read_parquet(truth_a / "customers.parquet")
    joined = accounts.join(truth_a_customers, left_on="客户ID", right_on="crm_account_id")
    assert joined.filter(pl.col("is_prospect")).get_column("关联ERP编码").is_null().all()
    missing = joined.filter(~pl.col("is_prospect")).get_column("关联ERP编码").is_null().mean()
    assert 0.02 < missing < 0.16


def test_drifting_customers_order_less(clean_run):
    inbox, truth = clean_run
    customers = pl.read_parquet(truth / "customers.parquet").filter(
        pl.col("churn_date").is_not_null()
        & ((pl.col("drift_start") - pl.col("first_purchase_date")).dt.total_days() >= 90))
    orders = _sales_lines(inbox).select("order_id", "code", pl.col("when").dt.date().alias("day")).unique()
    joined = orders.join(customers, left_on="code", right_on="sales_customer_code")
    before = joined.filter(pl.col("day") < pl.col("drift_start")).height
    during = joined.filter((pl.col("day") >= pl.col("drift_start")) & (pl.col("day") < pl.col("churn_date"))).height
    after = joined.filter(pl.col("day") > pl.col("churn_date")).height
    days_before = (customers.get_column("drift_start") - customers.get_column("first_purchase_date")).dt.total_days()
    days_during = (customers.get_column("churn_date") - customers.get_column("drift_start")).dt.total_days()
    rate_before = before / days_before.sum()
    rate_during = during / days_during.sum()
    assert rate_during < 0.7 * rate_before
    assert after == 0


def test_sources_option_writes_only_those(run_a, tmp_path):
    generate(tmp_path / "inbox", tmp_path / "truth", customers=N, seed=SEED, sources=("sales",))
    assert [p.name for p in (tmp_path / "inbox").iterdir()] == ["sales"]
    identity = pl.read_parquet(tmp_path / "truth" / "identity.parquet")
    assert set(identity.get_column("kind").unique()) == {"sales_order_lines"}
    # Leaving sources out does not change the others.
    for name, data in all_files(tmp_path / "inbox").items():
        assert data == (run_a[0] / name).read_bytes(), name


def test_command_line(tmp_path, capsys):
    code = cli_main(["--customers", "50", "--seed", "2", "--out", str(tmp_path / "inbox"), "--sources",
                     "crm,email", "--dirt-scale", "0"])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "inbox").iterdir()) == ["crm", "email"]
    manifest = read_manifest(tmp_path / "truth")  # default truth folder: next to the inbox
    assert manifest["arguments"]["sources"] == ["crm", "email"]
    assert all(v == 0 for v in manifest["dirt_rates"].values())
    assert pl.read_parquet(tmp_path / "truth" / "dirt.parquet").height == 0
    assert "email/email_events.csv" in capsys.readouterr().out
