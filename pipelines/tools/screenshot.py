"""A PNG of a report page as a reader sees it, for the README:
``python -m pipelines.tools.screenshot page.html out.png``.

Opens the page in headless Chromium (Debian's ``/usr/bin/chromium``, installed by ``make browser``)
through Playwright (a dev dependency) at 1280 px wide, waits for the charts, and saves the first two
screens (``--full-page`` for the whole page). Every request that is not a local file is refused, as
the reports must open offline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

CHROMIUM_PATH = "/usr/bin/chromium"
# Headless in a sandbox-less container, with none of Chromium's own background traffic (updates,
# sync, QUIC probes), which a closed network refuses.
CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
)
WIDTH = 1280
SCREEN_HEIGHT = 900
# True once every Plotly chart on the page has drawn its SVG.
CHARTS_DRAWN_JS = "() => [...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('svg'))"


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium under Playwright, with the flags this project's machines need."""
    if not Path(CHROMIUM_PATH).exists():
        raise FileNotFoundError(f"{CHROMIUM_PATH} is missing: run `make browser` (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=list(CHROMIUM_ARGS))


def offline_only(route: Any) -> None:
    """Playwright route handler: local files load, anything else is aborted."""
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()


def screenshot(html_path: Path, png_path: Path, full_page: bool = False, screens: int = 2) -> Path:
    """Render ``html_path`` at 1280 px wide and write a PNG of its first ``screens`` screens (or the
    whole page) to ``png_path``."""
    from playwright.sync_api import sync_playwright

    url = Path(html_path).resolve().as_uri()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": SCREEN_HEIGHT}, device_scale_factor=1)
            context.route("**/*", offline_only)
            page = context.new_page()
            page.goto(url, wait_until="load")
            page.wait_for_function(CHARTS_DRAWN_JS, timeout=15_000)
            height = page.evaluate("() => document.documentElement.scrollHeight")
            png_path = Path(png_path)
            png_path.parent.mkdir(parents=True, exist_ok=True)
            if full_page:
                page.screenshot(path=str(png_path), full_page=True)
            else:
                clip = {"x": 0, "y": 0, "width": WIDTH, "height": min(height, SCREEN_HEIGHT * screens)}
                page.screenshot(path=str(png_path), full_page=True, clip=clip)
        finally:
            browser.close()
    return png_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.tools.screenshot", description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the report page (.html)")
    parser.add_argument("png", type=Path, help="where to write the PNG")
    parser.add_argument("--full-page", action="store_true", help="the whole page instead of the first screens")
    parser.add_argument("--screens", type=int, default=2, help="how many 900 px screens (default 2)")
    args = parser.parse_args(argv)
    if not args.html.exists():
        parser.error(f"{args.html} does not exist")
    try:
        out = screenshot(args.html, args.png, full_page=args.full_page, screens=args.screens)
    except FileNotFoundError as missing:
        print(missing, file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
