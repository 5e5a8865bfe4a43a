"""The HTML reports opened in a real browser: Debian's Chromium (``make browser``) through Playwright.

One pipeline run on a 300-customer sample whose CRM export carries company names that would run
script if a page inserted them unescaped (see ``tests/report_fixtures.py``). Every page in
``<reports>/latest/`` is then opened from disk with every non-file request refused, and audited
once: requests it tried, console and page errors, charts drawn, a screenshot, load time, size, and
(on pages with a filter box or sortable columns) filtering and sorting. The tests below check
parts of that audit; each lists every page that fails, not only the first.
"""

import base64
import contextlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from assets.common.masking import RAW_EMAIL_PATTERN, RAW_PHONE_PATTERNS
from pipelines.tools.screenshot import CHARTS_DRAWN_JS, CHROMIUM_ARGS, CHROMIUM_PATH
from reports.common.catalog import REPORTS
from reports.common.charts import plotly_script
from tests.report_fixtures import HOSTILE_DRIFTING, HOSTILE_PAYLOAD, HOSTILE_VIP, ReportSample, build_report_sample

pytestmark = pytest.mark.browser

MAKE_BROWSER = f"{CHROMIUM_PATH} is missing: run `make browser` (installs Debian's chromium and fonts-noto-cjk)"
LANGUAGES = ("zh", "en")
LOAD_BUDGET_MS = 3000
MAX_PAGE_BYTES = 10 * 1024 * 1024
# A screenshot with this many distinct colours or fewer counts as blank.
MIN_COLOURS = 8
VIEWPORT = {"width": 1280, "height": 900}
# Report pages that must offer a filter box and sortable columns.
INTERACTIVE_STEMS = ("key_accounts", "churn_watchlist")
# Report pages that list companies, and the hostile name each must show (as text, never as markup):
# the VIP key account, and at least one of the drifting buyers on the churn watchlist.
COMPANY_LISTINGS = {"key_accounts": HOSTILE_VIP, "churn_watchlist": HOSTILE_DRIFTING}
FILTER_INPUTS = ".toolbar input[type=search], .toolbar input[type=text], .toolbar input:not([type])"
ESCAPED_PAYLOAD_START = "&lt;script&gt;window.__xss=1&lt;/script&gt;"

DECODE_PNG_JS = """async (b64) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const g = canvas.getContext("2d");
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set();
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    const v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    colours.add(v);
    if (v !== 0xffffff) ink++;
  }
  return {width: canvas.width, height: canvas.height, colours: colours.size, ink: ink / (d.length / 4)};
}"""
LOAD_TIME_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  if (nav && nav.loadEventEnd > 0) return nav.loadEventEnd - nav.startTime;
  const t = performance.timing;
  return t.loadEventEnd > 0 ? t.loadEventEnd - t.navigationStart : null;
}"""
# Elements the hostile markup would have created: an <img src=x> or an inline handler naming __xss.
LIVE_PAYLOAD_JS = """() => [...document.querySelectorAll("*")].filter(e =>
  (e.tagName === "IMG" && e.getAttribute("src") === "x") ||
  [...e.attributes].some(a => a.name.startsWith("on") && a.value.includes("__xss"))).length"""
# Index of the first table after the element that has body rows (the table a filter box filters).
TABLE_AFTER_JS = """(el) => [...document.querySelectorAll("table")].findIndex(t =>
  (el.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING) && t.tBodies.length && t.tBodies[0].rows.length)"""
ROWS_JS = """([index, visibleOnly]) => {
  const table = document.querySelectorAll("table")[index];
  return [...table.tBodies[0].rows]
    .filter(r => !visibleOnly || r.getClientRects().length > 0)
    .map(r => r.textContent.replace(/\\s+/g, " ").trim());
}"""
FILTER_QUERY_JS = """(index) => {
  const rows = [...document.querySelectorAll("table")[index].tBodies[0].rows];
  const texts = rows.map(r => r.textContent);
  const partial = q => { const n = texts.filter(t => t.includes(q)).length; return n > 0 && n < texts.length; };
  if (partial("Evil Co")) return "Evil Co";
  const cells = rows.flatMap(r => [...r.cells]).filter(c => !c.classList.contains("num"))
    .map(c => c.textContent.trim()).filter(t => t.length >= 2 && t !== "—");
  return cells.find(t => t.includes("公司") && partial(t)) || cells.find(partial) || null;
}"""
FILTERED_JS = """([index, query, expected]) => {
  const q = query.toLowerCase();
  const rows = [...document.querySelectorAll("table")[index].tBodies[0].rows]
    .filter(r => r.getClientRects().length > 0);
  return rows.length >= 1 && rows.length <= expected && rows.every(r => r.textContent.toLowerCase().includes(q));
}"""
VISIBLE_COUNT_JS = """([index, count]) => [...document.querySelectorAll("table")[index].tBodies[0].rows]
  .filter(r => r.getClientRects().length > 0).length === count"""
# The sortable header to click in a table: prefer a numeric column, and one whose cells differ.
SORT_HEADER_JS = """(index) => {
  const table = document.querySelectorAll("table")[index];
  const headers = [...table.querySelectorAll("th.sortable")];
  const rows = [...table.tBodies[0].rows];
  const distinct = h => new Set(rows.map(r => (r.cells[h.cellIndex] || {}).textContent)).size;
  const usable = headers.map((h, i) => ({i, h})).filter(x => distinct(x.h) >= 2);
  const numeric = usable.find(x => x.h.classList.contains("num") || x.h.dataset.type === "number" ||
    (rows[0] && rows[0].cells[x.h.cellIndex] && rows[0].cells[x.h.cellIndex].classList.contains("num")));
  const pick = numeric || usable[0];
  return pick ? {header: pick.i, column: pick.h.cellIndex} : null;
}"""
SORT_STATE_JS = """([index, header, column]) => {
  const table = document.querySelectorAll("table")[index];
  const th = table.querySelectorAll("th.sortable")[header];
  const rows = [...table.tBodies[0].rows];
  return {
    direction: th.classList.contains("sorted-asc") ? "asc" : th.classList.contains("sorted-desc") ? "desc" : null,
    rows: rows.map(r => r.textContent.replace(/\\s+/g, " ").trim()),
    keys: rows.map(r => { const c = r.cells[column]; if (!c) return null;
      return c.dataset.sort ?? c.dataset.value ?? c.textContent.trim(); }),
  };
}"""


@dataclass
class PageAudit:
    name: str
    size_bytes: int
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    charts: int = 0
    charts_without_svg: int = 0
    load_ms: float | None = None
    wall_ms: float = 0.0
    colours: int = 0
    ink_share: float = 0.0
    xss_after_load: str = ""
    xss_after_interaction: str = ""
    scripts_naming_xss: int = 0
    live_payload_elements: int = 0
    hostile_names_shown: list[str] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)
    has_filter: bool = False
    has_sortable: bool = False
    interaction_problems: list[str] = field(default_factory=list)
    interaction_done: list[str] = field(default_factory=list)
    audit_errors: list[str] = field(default_factory=list)

    @property
    def stem(self) -> str:
        return self.name.split(".")[0]


def _plain_number(key: str | None) -> float | None:
    if key is None:
        return None
    text = re.sub(r"[¥,%+\s]", "", str(key))
    return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else None


def _monotonic_problem(keys: list, direction: str) -> str | None:
    """Why the column keys are not in the header's order, when all of them are plain numbers."""
    present = [k for k in keys if k not in (None, "", "—")]
    numbers = [_plain_number(k) for k in present]
    if not numbers or any(n is None for n in numbers):
        return None
    wanted = sorted(numbers, reverse=direction == "desc")
    return None if numbers == wanted else f"column not in {direction} order after the click: {numbers[:8]}..."


def _exercise_filter(page, audit: PageAudit) -> None:
    box = next((b for b in page.locator(FILTER_INPUTS).all() if b.is_visible()), None)
    if box is None:
        return
    audit.has_filter = True
    index = box.evaluate(TABLE_AFTER_JS)
    if index < 0:
        audit.interaction_problems.append("filter box with no table after it")
        return
    total = len(page.evaluate(ROWS_JS, [index, False]))
    query = page.evaluate(FILTER_QUERY_JS, index)
    if query is None:
        audit.interaction_problems.append(f"no cell text to filter the {total}-row table by")
        return
    expected = sum(query in row for row in page.evaluate(ROWS_JS, [index, False]))
    box.click()
    box.press_sequentially(query)
    try:
        page.wait_for_function(FILTERED_JS, arg=[index, query, expected], timeout=3000)
    except Exception:
        shown = page.evaluate(ROWS_JS, [index, True])
        audit.interaction_problems.append(
            f"typing {query!r} in the filter box left {len(shown)} of {total} rows visible "
            f"(expected 1..{expected}, each containing it): {shown[:3]}")
        return
    box.press("Control+a")
    box.press("Backspace")
    try:
        page.wait_for_function(VISIBLE_COUNT_JS, arg=[index, total], timeout=3000)
    except Exception:
        audit.interaction_problems.append("clearing the filter box did not show every row again")
        return
    audit.interaction_done.append(f"filter {query!r}: {expected} of {total} rows")


def _exercise_sort(page, audit: PageAudit) -> None:
    tables = page.evaluate("""() => [...document.querySelectorAll("table")].map((t, i) =>
        t.querySelector("th.sortable") && t.tBodies.length && t.tBodies[0].rows.length > 1 ? i : -1)
        .filter(i => i >= 0)""")
    audit.has_sortable = bool(page.locator("th.sortable").count())
    if not tables:
        return
    index = tables[0]
    pick = page.evaluate(SORT_HEADER_JS, index)
    if pick is None:
        audit.interaction_problems.append("no sortable column whose cells differ")
        return
    header = page.locator("table").nth(index).locator("th.sortable").nth(pick["header"])
    label = header.inner_text().strip()
    state = [page.evaluate(SORT_STATE_JS, [index, pick["header"], pick["column"]])]
    for _ in range(2):
        before = state[-1]["direction"]
        header.click()
        try:
            page.wait_for_function(
                """([index, header, before]) => { const th = document.querySelectorAll("table")[index]
                   .querySelectorAll("th.sortable")[header];
                   const now = th.classList.contains("sorted-asc") ? "asc" : th.classList.contains("sorted-desc")
                   ? "desc" : null; return now !== null && now !== before; }""",
                arg=[index, pick["header"], before], timeout=3000)
        except Exception:
            audit.interaction_problems.append(
                f"clicking sortable header {label!r} did not mark it sorted-asc / sorted-desc (or flip it)")
            return
        state.append(page.evaluate(SORT_STATE_JS, [index, pick["header"], pick["column"]]))
    if state[1]["rows"] == state[2]["rows"] or (state[0]["rows"] == state[1]["rows"] == state[2]["rows"]):
        audit.interaction_problems.append(f"clicking header {label!r} twice did not change the row order")
        return
    for sorted_state in state[1:]:
        problem = _monotonic_problem(sorted_state["keys"], sorted_state["direction"])
        if problem:
            audit.interaction_problems.append(f"header {label!r}: {problem}")
            return
    audit.interaction_done.append(f"sort by {label!r}: {state[1]['direction']} then {state[2]['direction']}")


def audit_page(browser, decoder, path: Path, hostile_names: list[str]) -> PageAudit:
    """Open one page offline and record everything the tests check."""
    audit = PageAudit(name=path.name, size_bytes=path.stat().st_size)
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, service_workers="block")

    def only_files(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):  # data: and blob: never leave the page
            route.continue_()
        else:
            audit.blocked.append(url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    page.on("console", lambda m: audit.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: audit.page_errors.append(str(e)))
    page.on("websocket", lambda ws: audit.blocked.append(ws.url))
    try:
        started = time.perf_counter()
        page.goto(path.resolve().as_uri(), wait_until="load", timeout=20_000)
        audit.wall_ms = (time.perf_counter() - started) * 1000
        audit.load_ms = page.evaluate(LOAD_TIME_JS)
        audit.charts = page.locator(".plotly-graph-div").count()
        if audit.charts:
            with contextlib.suppress(Exception):  # counted just below
                page.wait_for_function(CHARTS_DRAWN_JS, timeout=10_000)
            audit.charts_without_svg = page.evaluate(
                "() => [...document.querySelectorAll('.plotly-graph-div')].filter(d => !d.querySelector('svg')).length")
        picture = decoder.evaluate(DECODE_PNG_JS, base64.b64encode(page.screenshot()).decode("ascii"))
        audit.colours, audit.ink_share = picture["colours"], picture["ink"]
        audit.xss_after_load = page.evaluate("() => typeof window.__xss")
        audit.scripts_naming_xss = page.locator("script").evaluate_all(
            "els => els.filter(e => (e.textContent || '').includes('__xss')).length")
        audit.live_payload_elements = page.evaluate(LIVE_PAYLOAD_JS)
        audit.hostile_names_shown = page.evaluate(
            "(names) => names.filter(n => document.body.textContent.includes(n))", hostile_names)
        audit.hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
        _exercise_filter(page, audit)
        _exercise_sort(page, audit)
        audit.xss_after_interaction = page.evaluate("() => typeof window.__xss")
        audit.live_payload_elements += page.evaluate(LIVE_PAYLOAD_JS)
    except Exception as error:  # recorded, so one broken page does not hide the others' results
        audit.audit_errors.append(f"{type(error).__name__}: {error}"[:500])
    finally:
        context.close()
    if audit.load_ms is not None and audit.load_ms >= LOAD_BUDGET_MS:
        # One more load in a fresh context: a busy machine (a parallel build) must not fail a page
        # that is fast; a page slow twice is slow.
        audit.load_ms = min(audit.load_ms, _load_time(browser, path))
    return audit


def _load_time(browser, path: Path) -> float:
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, service_workers="block")
    try:
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                      else route.abort())
        page = context.new_page()
        page.goto(path.resolve().as_uri(), wait_until="load", timeout=20_000)
        return page.evaluate(LOAD_TIME_JS)
    finally:
        context.close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> ReportSample:
    return build_report_sample(tmp_path_factory.mktemp("reports-browser"))


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM_PATH).exists():
        pytest.fail(MAKE_BROWSER)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: run `make setup` (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=list(CHROMIUM_ARGS))
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def audits(sample: ReportSample, browser) -> dict[str, PageAudit]:
    """Every page in latest/, audited once."""
    decoder_context = browser.new_context()
    decoder = decoder_context.new_page()
    decoder.set_content("<!DOCTYPE html><html><body></body></html>")
    names = list(sample.hostile_customers)
    found = {p.name: audit_page(browser, decoder, p, names) for p in sorted(sample.latest.glob("*.html"))}
    decoder_context.close()
    print("\npage                         bytes  load ms  charts  colours  hostile names  interaction")
    for a in found.values():
        print(f"{a.name:<26} {a.size_bytes:>9,} {a.load_ms or -1:>8.0f} {a.charts:>7} {a.colours:>8} "
              f"{len(a.hostile_names_shown):>14}  {'; '.join(a.interaction_done)}")
    return found


def _failures(audits: dict[str, PageAudit], problem) -> list[str]:
    return [f"{name}: {text}" for name, audit in audits.items() if (text := problem(audit))]


def test_chromium_is_installed():
    assert Path(CHROMIUM_PATH).exists(), MAKE_BROWSER


def test_every_catalogue_report_is_published(sample: ReportSample):
    from reports.registry import REPORT_ASSETS

    registered = {key.path[-1] for assets_def in REPORT_ASSETS for key in assets_def.keys}
    dated = next(p for p in Path(sample.paths.reports_dir).iterdir() if p.name != "latest")
    missing = []
    for entry in REPORTS:
        if entry.stem not in registered:
            missing.append(f"{entry.stem}: no asset in reports/registry.py")
        for folder in (sample.latest, dated):
            for name in (f"{entry.stem}.html", *(f"{entry.stem}.{lang}.html" for lang in LANGUAGES)):
                if not (folder / name).exists():
                    missing.append(f"{folder.name}/{name}")
    assert not missing, "catalogue reports not published: " + ", ".join(missing)


def test_audit_ran_on_every_page(audits):
    assert audits, "no HTML page in the reports folder"
    failures = _failures(audits, lambda a: "; ".join(a.audit_errors))
    assert not failures, failures


def test_pages_request_nothing_from_the_network(audits):
    failures = _failures(audits, lambda a: a.blocked and f"{len(a.blocked)} requests aborted: {a.blocked[:5]}")
    assert not failures, failures


def test_pages_log_no_errors(audits):
    failures = _failures(audits, lambda a: (a.console_errors or a.page_errors)
                         and f"console errors {a.console_errors[:5]}, page errors {a.page_errors[:5]}")
    assert not failures, failures


def test_every_chart_draws_its_svg(audits):
    failures = _failures(audits, lambda a: a.charts_without_svg
                         and f"{a.charts_without_svg} of {a.charts} .plotly-graph-div have no <svg>")
    assert not failures, failures


def test_screenshots_are_not_blank(audits):
    failures = _failures(audits, lambda a: (a.colours <= MIN_COLOURS or a.ink_share < 0.01)
                         and f"{a.colours} colours, {a.ink_share:.1%} non-white pixels in the first screen")
    assert not failures, failures


def test_hostile_company_name_never_runs(audits):
    failures = _failures(audits, lambda a: "; ".join(filter(None, [
        a.xss_after_load != "undefined" and f"window.__xss is {a.xss_after_load} after load",
        a.xss_after_interaction not in ("undefined", "") and f"window.__xss is {a.xss_after_interaction} "
                                                            "after filtering and sorting",
        a.scripts_naming_xss and f"{a.scripts_naming_xss} <script> elements contain __xss",
        a.live_payload_elements and f"{a.live_payload_elements} elements made from the payload markup",
    ])))
    assert not failures, failures


def test_hostile_company_name_is_escaped_in_the_source(sample: ReportSample):
    pages = sorted(sample.latest.glob("*.html"))
    live = [p.name for p in pages if HOSTILE_PAYLOAD in (text := p.read_text(encoding="utf-8"))
            or 'onerror="window.__xss' in text]
    assert not live, f"pages holding the payload as markup: {live}"
    for stem, name in COMPANY_LISTINGS.items():
        for page in (sample.latest / f"{stem}.{lang}.html" for lang in LANGUAGES):
            assert page.exists(), f"{page.name} is not published"
            assert ESCAPED_PAYLOAD_START in page.read_text(encoding="utf-8"), f"{page.name} does not list {name!r}"


def test_company_listing_pages_show_the_hostile_name_as_text(audits):
    for stem, name in COMPANY_LISTINGS.items():
        for page in (f"{stem}.{lang}.html" for lang in LANGUAGES):
            assert page in audits, f"{page} is not published"
            assert any(shown.startswith(name) for shown in audits[page].hostile_names_shown), \
                f"{page} does not show {name!r} as text"


def test_filter_and_sort_work(audits):
    failures = _failures(audits, lambda a: "; ".join(a.interaction_problems))
    for stem in INTERACTIVE_STEMS:
        for name in (f"{stem}.{lang}.html" for lang in LANGUAGES):
            audit = audits.get(name)
            if audit is None:
                failures.append(f"{name}: not published")
            elif not (audit.has_filter and audit.has_sortable):
                failures.append(f"{name}: needs a filter box ({FILTER_INPUTS}) and th.sortable headers, "
                                f"has filter={audit.has_filter} sortable={audit.has_sortable}")
    assert not failures, failures


def test_pages_finish_loading_and_stay_small(audits, record_property):
    """Load times are recorded, not judged: the 3-second target is measured at 100,000 customers by
    `make bench` (a shared CI machine makes timed tests flaky)."""
    for name, audit in audits.items():
        record_property(name, f"{audit.size_bytes} bytes, load {audit.load_ms} ms")
    failures = _failures(audits, lambda a: a.load_ms is None and "the load event never fired")
    failures += _failures(audits, lambda a: a.size_bytes >= MAX_PAGE_BYTES and f"{a.size_bytes:,} bytes")
    assert not failures, failures


def test_index_links_every_report_and_every_link_resolves(audits, sample: ReportSample):
    problems = []
    for lang in LANGUAGES:
        index = audits.get(f"index.{lang}.html")
        if index is None:
            problems.append(f"index.{lang}.html is not published")
            continue
        linked = {h.split("#")[0] for h in index.hrefs}
        problems += [f"index.{lang}.html does not link {entry.stem}.{lang}.html" for entry in REPORTS
                     if f"{entry.stem}.{lang}.html" not in linked]
    for name, audit in audits.items():
        for href in audit.hrefs:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto", "tel"):
                problems.append(f"{name}: links outside the reports folder: {href}")
            elif not parts.scheme and parts.path and not (sample.latest / unquote(parts.path)).exists():
                problems.append(f"{name}: broken link {href}")
    assert not problems, problems


def _outside_plotly_bundle(text: str) -> str:
    # plotly.js itself holds a licence author's e-mail and a float literal (+899369387256e-16) that
    # the raw-contact patterns match; the bundle is the same bytes on every page, so drop it.
    return text.replace(plotly_script(), "")


def test_no_raw_phone_or_email_in_any_report_file(sample: ReportSample):
    bundle = plotly_script()
    assert re.search(RAW_EMAIL_PATTERN, bundle), "plotly.js no longer needs excluding: scan whole files"
    patterns = [re.compile(RAW_EMAIL_PATTERN), *(re.compile(p) for p in RAW_PHONE_PATTERNS)]
    leaks, scanned = [], 0
    for path in sorted(Path(sample.paths.reports_dir).rglob("*")):
        if not path.is_file():
            continue
        scanned += 1
        text = _outside_plotly_bundle(path.read_bytes().decode("utf-8", errors="replace"))
        for pattern in patterns:
            found = [m.group(0) for m in pattern.finditer(text)]
            if found:
                leaks.append(f"{path.relative_to(sample.paths.reports_dir)}: {found[:3]}")
    assert scanned, "no report file written"
    assert not leaks, leaks


def test_plotly_is_inlined_at_most_once_per_page(sample: ReportSample):
    bundle = plotly_script()
    failures = [f"{p.name}: {count} copies" for p in sorted(sample.latest.glob("*.html"))
                if (count := p.read_text(encoding="utf-8").count(bundle)) > 1]
    assert not failures, failures
