"""The public pages in a real browser (Debian's headless Chromium, driven by Playwright).

Usage: pages.py BASE_URL SCREENSHOT_DIR

Against a service started with demo data: the dashboard and the board load with no console error
and no failed request, every figure in the dashboard's tables equals the API's, the browser's
language decides the page's and the switch changes it, and a filter on the board changes what is
shown. Screenshots of both pages at phone and wall sizes go to SCREENSHOT_DIR.
"""

import datetime
import json
import math
import sys
import urllib.parse
import urllib.request

from playwright.sync_api import sync_playwright

BASE, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2]
SIZES = {"phone": {"width": 390, "height": 844}, "wall": {"width": 1920, "height": 1080}}
YEAR = datetime.date.today().year
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL", what)


def api(path):
    with urllib.request.urlopen(BASE + path) as res:
        return json.load(res)


def same(page_value, api_value):
    """A cell's data-value against the API's figure: numbers as numbers, the rest as text."""
    if api_value is None:
        return page_value == "null"
    if isinstance(api_value, (int, float)) and not isinstance(api_value, bool):
        return math.isclose(float(page_value), api_value, rel_tol=0, abs_tol=1e-9)
    return page_value == str(api_value)


def watch(page, problems):
    """Console errors, script errors, failed requests, error statuses and other origins."""
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))

    def response(r):
        if r.status >= 400:
            problems.append(f"{r.status} {r.url}")
        if not r.url.startswith(BASE) and not r.url.startswith("data:"):
            problems.append(f"fetched from elsewhere: {r.url}")

    page.on("response", response)


def table(page, chart):
    """{row key: [data-value of each figure cell]} of a chart's table."""
    return page.eval_on_selector_all(
        f"#table-{chart} tbody tr",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.key,"
        " [...r.querySelectorAll('td[data-value]')].map(td => td.dataset.value)]))",
    )


def dashboard_numbers(page):
    summary = api(f"/api/v1/city/summary?year={YEAR}")
    stats = api(f"/api/v1/stats/summary?from={YEAR}-01-01&until={YEAR + 1}-01-01")
    indicators = api("/api/v1/city/indicators?limit=100")["items"]
    ex = summary["exchange"]
    # The report's exchange figures are /stats/summary's for the year: one source.
    check(ex == stats, "the report's exchange section equals /stats/summary for the year")

    rows = table(page, "exchange")
    for key, value in [
        ("contracted_t", ex["totals"]["contracted_t"]),
        ("delivered_t", ex["totals"]["delivered_t"]),
        ("co2_net_t", ex["co2_net_t"]),
        ("clearance_rate", ex["totals"]["clearance_rate"]),
        ("active_organizations", ex["active_organizations"]),
    ]:
        check(same(rows[key][0], value), f"exchange {key}: page {rows[key]} api {value}")

    rows = table(page, "utilisation")
    cells = [("city", summary["totals"])] + [(c["key"], c["figures"]) for c in summary["by_category"]]
    check(set(rows) == {k for k, _ in cells}, f"utilisation rows {sorted(rows)}")
    for key, f in cells:
        want = [None, None, None] if f is None else [f["utilisation_rate_pct"], f["generated_t"], f["utilised_t"]]
        check(all(same(p, a) for p, a in zip(rows[key], want)), f"utilisation {key}: {rows[key]} vs {want}")
    check(any(v[0] != "null" for k, v in rows.items() if k != "city"), "some category is public in the demo")

    rows = table(page, "intensity")
    check(len(rows) >= 2, f"intensity over the years: {sorted(rows)}")
    for year, cells in rows.items():
        city = next(i for i in api(f"/api/v1/city/summary?year={year}")["intensity"] if i["region_code"].endswith("00"))
        want = [city["t_per_10k_yuan"], city["generated_t"], city["output_value_yuan"]]
        check(all(same(p, a) for p, a in zip(cells, want)), f"intensity {year}: {cells} vs {want}")

    rows = table(page, "projects")
    check({k: v[0] for k, v in rows.items()} == {k: str(v) for k, v in summary["projects"]["by_status"].items()},
          f"projects by stage {rows}")
    rows = table(page, "capacity")
    for key in ["capacity_added_t_per_year", "capacity_planned_t_per_year", "capacity_target_t_per_year"]:
        check(same(rows[key][0], summary["projects"][key]), f"capacity {key}")

    rows = table(page, "indicators")
    check(set(rows) == {i["id"] for i in indicators}, "every indicator task is shown")
    for i in indicators:
        check(same(rows[i["id"]][0], i["current"]) and same(rows[i["id"]][1], i["target"])
              and rows[i["id"]][2] == i["status"], f"indicator {i['name']}")

    rows = table(page, "flows")
    want = {f"{f['region_code']}/{f['intended_use']}": f["delivered_t"] for f in ex["district_to_use"]}
    check({k: v[0] for k, v in rows.items()} == want, f"flows {rows} vs {want}")
    check(len(want) > 0, "the demo city has delivered flows")
    check(page.locator("#chart-flows path.band").count() == len(want), "one band per flow in the diagram")


def main():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        problems = []

        # The browser's language decides; the switch changes it, keeping the page's parameters.
        for locale, lang, other in [("zh-CN", "zh-CN", "en"), ("en-US", "en", "zh-CN")]:
            context = browser.new_context(locale=locale)
            page = context.new_page()
            watch(page, problems)
            page.goto(f"{BASE}/dashboard")
            check(page.get_attribute("html", "lang") == lang, f"{locale} browser gets {lang}")
            if lang == "en":
                dashboard_numbers(page)
                csv = context.request.get(f"{BASE}/dashboard/flows.csv?year={YEAR}")
                check(csv.ok and csv.text().startswith("key,"), "the flows table as CSV")
            page.click("#lang-switch")
            page.wait_for_load_state()
            check(page.get_attribute("html", "lang") == other, f"the switch from {lang} gives {other}")
            context.close()

        # The board: a filter changes what is shown.
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        watch(page, problems)
        page.goto(f"{BASE}/board")
        before = page.locator("#lots tbody tr").count()
        categories = page.eval_on_selector_all("#lots tbody tr", "rows => rows.map(r => r.dataset.category)")
        check(before >= 2 and len(set(categories)) >= 2, f"the demo board has lots of several categories: {categories}")
        check(page.locator("#demands tbody tr").count() >= 1, "the demo board has open demands")
        check(page.locator("#panel-map g.district").count() >= 2, "the map shows districts")
        # The map's table sums the listed lots by district (every lot is listed in the demo).
        lots_kg = sum(int(v) for v in page.eval_on_selector_all(
            "#lots td[data-value]", "cells => cells.map(c => c.dataset.value)"))
        offered_t = sum(float(v[0]) for v in table(page, "districts").values())
        check(abs(lots_kg / 1000 - offered_t) < 1e-6, f"the map's table sums the lots: {lots_kg} kg, {offered_t} t")
        pick = sorted(set(categories))[0]
        page.select_option("select[name=category]", pick)
        page.click("form.filters button[type=submit]")
        page.wait_for_load_state()
        after = page.eval_on_selector_all("#lots tbody tr", "rows => rows.map(r => r.dataset.category)")
        check(0 < len(after) < before and set(after) == {pick}, f"filtered to {pick}: {after}")
        check(f"category={pick}" in page.url, "the filter is in the address")
        context.close()

        # Screenshots for review, both pages at both sizes.
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, locale="zh-CN")
            page = context.new_page()
            watch(page, problems)
            for name in ["dashboard", "board"]:
                page.goto(f"{BASE}/{name}")
                page.screenshot(path=f"{SHOTS}/{name}-{size}.png", full_page=True)
            context.close()
        browser.close()

    for p in problems:
        check(False, p)
    if failures:
        print(f"{len(failures)} browser check(s) failed")
        sys.exit(1)
    print("browser checks passed; screenshots in", SHOTS)


main()
