"""The office console in a real browser (Debian's Chromium), against the running app.

Each test is what an office clerk does: log in, narrow to a town, open a ticket and its
photo, act on it, export, upload a roster and read the preview, issue an alert, route a
resident's report. Screenshots of the main pages land in /tmp/console-*.png.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from playwright.async_api import Browser, Page, expect

from tests.web.conftest import LiveApp
from tests.web.console_seed import PASSWORD, in_thread, make_account, photo_on, report, say

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp")
# Live updates come by the server's 2 s poll; a loaded CI machine gets room to breathe.
expect.set_options(timeout=15_000)
NATURAL_WIDTH = (
    "img => img.complete ? img.naturalWidth"
    " : new Promise(done => { img.onload = () => done(img.naturalWidth); })"
)


async def logged_in(browser: Browser, live: LiveApp, username: str = "office") -> Page:
    context = await browser.new_context(
        viewport={"width": 1366, "height": 860},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    page = await context.new_page()
    await page.goto(f"{live.base_url}/console")
    await expect(page).to_have_url(f"{live.base_url}/console/login?next=/console")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#grid-tree tbody tr").first).to_be_visible()
    return page


async def test_a_clerk_narrows_to_a_town_opens_a_ticket_acts_and_exports(
    browser: Browser, live_app: LiveApp, tmp_path: Path
) -> None:
    app = live_app.app
    await in_thread(make_account, app, "office")
    first = await in_thread(report, app, "东关街12号工地")
    await in_thread(report, app, "东关街30号工地")
    await in_thread(photo_on, app, first, tmp_path)
    page = await logged_in(browser, live_app)

    town = page.locator("#grid-tree tr[data-code='CQ-XJ']")
    await expect(town.locator("td").nth(2)).to_have_text("2")
    await in_thread(report, app, "东关街44号工地")  # news from the chat, while the page is open
    await expect(town.locator("td").nth(2)).to_have_text("3")  # live, no reload
    await page.screenshot(path=str(SHOTS / "console-dashboard.png"), full_page=True)
    await town.click()
    await expect(page.locator("#scope-name")).to_have_text("西街街道")
    await page.locator("#nav a[data-view=tickets]").click()
    rows = page.locator("#ticket-table tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.first).to_contain_text("李秀英")  # the responsible head, by name
    await page.screenshot(path=str(SHOTS / "console-tickets.png"), full_page=True)

    await page.get_by_placeholder("编号、地点、描述").fill("30号")
    await page.get_by_role("button", name="筛选").click()
    await expect(rows).to_have_count(1)
    await page.get_by_placeholder("编号、地点、描述").fill("")
    await page.get_by_role("button", name="筛选").click()
    await expect(rows).to_have_count(3)

    async with page.expect_download() as download_info:
        await page.locator("#export-link").click()
    saved = tmp_path / "export.xlsx"
    await (await download_info.value).save_as(saved)
    book = openpyxl.load_workbook(saved, read_only=True)
    cells = {
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
    }
    assert first in cells

    await page.locator(f"#ticket-table tr[data-code='{first}']").click()
    detail = page.locator("#ticket-detail")
    await expect(detail.locator("h2").first).to_have_text(f"工单 {first}")
    await expect(detail.locator(".timeline")).to_contain_text("张伟 上报")
    thumb = detail.locator(".photos img")
    await expect(thumb).to_have_count(1)
    assert await thumb.evaluate(NATURAL_WIDTH) == 320  # a thumbnail, not the photo
    async with page.context.expect_page() as full_info:
        await thumb.click()
    full = await full_info.value
    await full.wait_for_load_state()
    assert await full.locator("img").evaluate(NATURAL_WIDTH) == 800

    form = detail.locator("form[data-action=supervise]")
    await form.get_by_placeholder("说明 / 原因").fill("群众反映强烈")
    await form.get_by_role("button", name="挂牌督办").click()
    await expect(page.locator("#flash")).to_contain_text("督办")
    await expect(detail.locator(".timeline")).to_contain_text("挂牌督办")
    await expect(detail.locator("form[data-action=unsupervise]")).to_be_visible()
    await page.screenshot(path=str(SHOTS / "console-ticket.png"), full_page=True)


async def test_what_people_typed_stays_text(browser: Browser, live_app: LiveApp) -> None:
    app = live_app.app
    await in_thread(make_account, app, "office")
    hostile = '<img src=x onerror="window.__owned=1"><script>window.__owned=2</script>'
    code = await in_thread(report, app, "东关街5号工地", hostile)
    page = await logged_in(browser, live_app)
    await page.goto(f"{live_app.base_url}/console#/ticket/{code}")
    await expect(page.locator("#ticket-detail .fields")).to_contain_text(
        "<script>window.__owned=2</script>"
    )
    assert await page.evaluate("window.__owned") is None
    assert await page.locator("#ticket-detail img[src=x]").count() == 0


async def test_a_viewer_sees_no_action_and_the_api_refuses_writes(
    browser: Browser, live_app: LiveApp
) -> None:
    app = live_app.app
    await in_thread(make_account, app, "reader", "查看")
    code = await in_thread(report, app, "东关街7号工地")
    page = await logged_in(browser, live_app, "reader")
    await page.goto(f"{live_app.base_url}/console#/ticket/{code}")
    await expect(page.locator("#ticket-detail .timeline")).to_be_visible()
    await expect(page.locator("#ticket-detail .actions")).to_have_count(0)
    await expect(page.locator("#nav a[data-view=roster]")).to_be_hidden()


def _office_roster() -> bytes:
    """The demo roster as a clerk's spreadsheet: a title row, 序号 and 联系电话, one change."""
    import csv

    source = Path(__file__).parents[2] / "config" / "demo_roster.csv"
    rows = list(csv.reader(source.read_text(encoding="utf-8-sig").splitlines()))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["城区生态环境网格化管理花名册"])
    header = ["序号", *rows[0]]
    header[header.index("手机")] = "联系电话"
    sheet.append(header)
    for n, row in enumerate(rows[1:], 1):
        if row[5] == "张伟":
            row[6] = "网格长"  # promoted
        sheet.append([n, *row])
    sheet.merge_cells("A1:J1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_roster_upload_shows_who_changes_before_it_is_applied(
    browser: Browser, live_app: LiveApp, tmp_path: Path
) -> None:
    await in_thread(make_account, live_app.app, "office")
    page = await logged_in(browser, live_app)
    await page.locator("#nav a[data-view=roster]").click()
    upload = tmp_path / "花名册.xlsx"
    upload.write_bytes(_office_roster())
    await page.locator("#roster-form input[type=file]").set_input_files(str(upload))
    await page.get_by_role("button", name="上传并预览").click()
    preview = page.locator("#roster-preview")
    await expect(preview).to_contain_text("已跳过表头上方 1 行")
    await expect(preview).to_contain_text("已忽略列：序号")
    await expect(preview.locator("#roster-changed")).to_contain_text("张伟")
    await page.screenshot(path=str(SHOTS / "console-roster.png"), full_page=True)
    await page.get_by_role("button", name="确认导入").click()
    await expect(page.locator("#roster-done")).to_contain_text("已导入")

    bad = tmp_path / "old.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    await page.locator("#roster-form input[type=file]").set_input_files(str(bad))
    await page.get_by_role("button", name="上传并预览").click()
    await expect(page.locator("#roster-error")).to_contain_text("另存为")


async def test_an_alert_issued_from_the_console_reaches_the_groups(
    browser: Browser, live_app: LiveApp
) -> None:
    await in_thread(make_account, live_app.app, "office")
    page = await logged_in(browser, live_app)
    await page.locator("#nav a[data-view=alert]").click()
    await expect(page.locator("#alert-now")).to_have_text("当前没有生效的预警。")
    await page.locator("#alert-issue select").select_option("橙色")
    await page.locator("#alert-issue button").click()
    await expect(page.locator("#alert-now")).to_contain_text("橙色预警生效中")
    await expect(page.locator("#alert-tally")).to_contain_text("已确认 0/")
    await in_thread(say, live_app.app, "马建国", "收到")  # the head of 东关社区
    await page.reload()
    await expect(page.locator("#alert-tally")).to_contain_text("已确认 1/")
    await page.screenshot(path=str(SHOTS / "console-alert.png"), full_page=True)


async def test_a_residents_report_is_routed_to_a_grid_and_becomes_a_ticket(
    browser: Browser, live_app: LiveApp
) -> None:
    await in_thread(make_account, live_app.app, "office")
    resident = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
    await resident.goto(f"{live_app.base_url}/public/report")
    await resident.locator("#address").fill("东关社区东关街18号")
    await resident.locator("#description").fill("餐馆油烟直排，楼上住户受不了")
    await resident.locator("#submit").click()
    await resident.screenshot(path=str(SHOTS / "console-public-form.png"), full_page=True)
    code = (await resident.locator("#report-code").inner_text()).strip()
    assert code

    page = await logged_in(browser, live_app)
    await page.locator("#nav a[data-view=public]").click()
    card = page.locator(f"[data-report='{code}']")
    await expect(card).to_contain_text("东关街18号")
    await expect(card.locator("input[name=grid]")).to_have_value("CQ-XJ-01")
    await card.get_by_role("button", name="分派").click()
    await expect(page.locator("#flash")).to_contain_text("已分派为工单")
    await page.locator("#nav a[data-view=tickets]").click()
    await expect(page.locator("#ticket-table tbody tr").first).to_contain_text("东关街18号")

    await resident.goto(f"{live_app.base_url}/public/report/{code}")
    await expect(resident.locator("body")).to_contain_text("处置中")


async def test_a_district_admin_opens_the_simulator_from_the_console_and_posts(
    browser: Browser, live_app: LiveApp
) -> None:
    await in_thread(make_account, live_app.app, "office")
    page = await logged_in(browser, live_app)
    await page.locator("#simulator-link").click()
    await page.get_by_role("button", name="东关社区环保网格群").click()
    await expect(page.locator("#speaker option")).not_to_have_count(0)
    await page.locator("#text").fill("东关今天巡查正常")
    await page.get_by_role("button", name="发送").click()
    await expect(page.locator("#messages")).to_contain_text("东关今天巡查正常")
