"""The simulator page in a real browser (Debian's Chromium), against the running app."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from bot.core.clock import FixedClock
from bot.services.understanding import texts as report_texts
from bot.web import keys
from bot.web import texts as web_texts
from handlers import texts as handler_texts
from tests.web.conftest import AUTH, DONGGUAN_ROOM, TOKEN, XIGUAN_ROOM, LiveApp

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/gridbot_page.png")
PHONE_SCREENSHOT = Path("/tmp/gridbot_page_phone.png")
TICKET_CODE = re.compile(r"已登记工单 \d{6,}")
expect.set_options(timeout=15_000)


async def open_page(browser: Browser, live: LiveApp, width: int = 1366, height: int = 820) -> Page:
    """A fresh browser profile that logs in with the printed link."""
    context = await browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = await context.new_page()
    await page.goto(f"{live.base_url}/?token={TOKEN}")
    assert page.url == f"{live.base_url}/"  # the token left the address bar
    return page


async def test_a_report_sent_from_the_page_gets_the_bots_reply(
    browser: Browser, live_app: LiveApp
) -> None:
    page = await open_page(browser, live_app)
    await page.get_by_role("button", name=DONGGUAN_ROOM).click()
    await expect(page.locator("#room-title")).to_have_text(DONGGUAN_ROOM)
    await page.get_by_label("以谁的身份发言").select_option(label="张伟（网格员 · 东关社区一片区）")
    await page.get_by_role("button", name="插入上报模板").click()
    await expect(page.locator("#text")).to_have_value(report_texts.REPORT_TEMPLATE)
    await page.locator("#text").press("Enter")

    mine = page.locator(".msg:not(.msg-bot)").last
    await expect(mine.locator(".sender")).to_have_text("张伟")
    reply = page.locator(".msg-bot").last
    await expect(reply.locator(".bubble")).to_contain_text(TICKET_CODE)
    await expect(reply.locator(".mention")).to_have_text("@李秀英")
    await expect(reply.locator(".bot-tag")).to_have_text("机器人")
    await expect(page.locator("#text")).to_have_value("")
    code = TICKET_CODE.search(await reply.locator(".bubble").inner_text())
    assert code is not None
    ticket = page.locator(".ticket-card").first
    await expect(ticket).to_contain_text(code.group(0).split()[-1])
    await expect(ticket.locator(".status")).to_have_text("待受理")

    await page.screenshot(path=str(SCREENSHOT))
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.screenshot(path=str(PHONE_SCREENSHOT))


async def test_news_in_another_group_shows_an_unread_badge(
    browser: Browser, live_app: LiveApp
) -> None:
    page = await open_page(browser, live_app)
    await page.get_by_role("button", name=DONGGUAN_ROOM).click()
    await expect(page.locator("#speaker option")).not_to_have_count(0)
    response = await page.request.get(
        f"{live_app.base_url}/api/rooms/{XIGUAN_ROOM}/members", headers=AUTH
    )
    lin = next(m for m in (await response.json())["members"] if m["name"] == "林淑芬")
    posted = await page.request.post(
        f"{live_app.base_url}/api/messages",
        headers=AUTH,
        data={"room": XIGUAN_ROOM, "person_id": lin["person_id"], "text": "西关今天巡查正常"},
    )
    assert posted.status == 201

    xiguan = page.get_by_role("button", name=re.compile(XIGUAN_ROOM))
    await expect(xiguan.locator(".badge")).to_have_text("1")
    await expect(page.locator("#messages")).not_to_contain_text("西关今天巡查正常")
    await xiguan.click()
    await expect(page.locator("#messages")).to_contain_text("西关今天巡查正常")
    await expect(xiguan.locator(".badge")).to_have_count(0)


async def test_a_refused_message_shows_the_reason(browser: Browser, live_app: LiveApp) -> None:
    page = await open_page(browser, live_app)
    await page.get_by_role("button", name=DONGGUAN_ROOM).click()
    await expect(page.locator("#speaker option")).not_to_have_count(0)
    await page.get_by_role("button", name="发送").click()
    await expect(page.get_by_role("alert")).to_have_text(web_texts.WEB_EMPTY_TEXT)


async def test_shift_enter_starts_a_new_line_and_enter_sends(
    browser: Browser, live_app: LiveApp
) -> None:
    page = await open_page(browser, live_app)
    await page.get_by_role("button", name=DONGGUAN_ROOM).click()
    await expect(page.locator("#speaker option")).not_to_have_count(0)
    text = page.locator("#text")
    await text.type("第一行")
    await text.press("Shift+Enter")
    await text.type("第二行")
    await expect(text).to_have_value("第一行\n第二行")
    await text.press("Enter")
    await expect(page.locator(".msg .bubble").last).to_have_text("第一行\n第二行")
    await expect(text).to_have_value("")


async def test_a_logged_out_wechat_turns_the_banner_red(
    browser: Browser, live_app: LiveApp
) -> None:
    health = live_app.app[keys.HEALTH]
    health.transport = "wechaty"
    health.logged_in = False
    health.problem = "微信已掉线，请用手机扫码重新登录。"
    health.unknown_rooms = ["测试群"]
    page = await open_page(browser, live_app)
    banner = page.locator("#banner")
    await expect(banner).to_have_class(re.compile("banner-danger"))
    await expect(banner).to_contain_text("未登录")
    await expect(banner).to_contain_text(health.problem)
    await expect(banner).to_contain_text("测试群")


async def test_without_the_token_the_page_says_how_to_open_it(
    browser: Browser, live_app: LiveApp
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    response = await page.goto(f"{live_app.base_url}/?token=wrong")
    assert response is not None and response.status == 401
    await expect(page.locator("body")).to_contain_text(web_texts.WEB_NEED_TOKEN)


async def test_the_tickets_page_lists_tickets(browser: Browser, live_app: LiveApp) -> None:
    page = await open_page(browser, live_app)
    await page.get_by_role("link", name="工单", exact=True).click()
    await expect(page).to_have_url(f"{live_app.base_url}/tickets")
    await expect(page.locator("#no-tickets")).to_be_visible()
    members = await page.request.get(
        f"{live_app.base_url}/api/rooms/{DONGGUAN_ROOM}/members", headers=AUTH
    )
    zhang_wei = next(m for m in (await members.json())["members"] if m["name"] == "张伟")
    await page.request.post(
        f"{live_app.base_url}/api/messages",
        headers=AUTH,
        data={
            "room": DONGGUAN_ROOM,
            "person_id": zhang_wei["person_id"],
            "text": report_texts.REPORT_TEMPLATE,
        },
    )
    row = page.locator("#ticket-table tbody tr").first
    await expect(row).to_contain_text("待受理")
    await expect(row).to_contain_text("东关社区3号楼东侧")
    await expect(row).to_contain_text("张伟")
    await expect(page.locator("#ticket-count")).to_have_text("共 1 件")


async def test_help_from_the_page_with_the_readme_speaker(
    browser: Browser, live_app: LiveApp
) -> None:
    """The README's walk-through: in 东关社区's group the default speaker is 张伟."""
    page = await open_page(browser, live_app)
    await page.get_by_role("button", name=DONGGUAN_ROOM).click()
    speaker = page.get_by_label("以谁的身份发言")
    await expect(speaker.locator("option:checked")).to_have_text("张伟（网格员 · 东关社区一片区）")
    await page.locator("#text").fill("帮助")
    await page.locator("#text").press("Enter")
    reply = page.locator(".msg-bot").last
    await expect(reply.locator(".bubble")).to_contain_text(handler_texts.HELP_HEADER)
    await expect(reply.locator(".bubble")).to_contain_text("受理 工单编号：确认收到并开始处置")


async def test_a_report_chart_shows_in_the_conversation(
    browser: Browser, live_app: LiveApp, clock: FixedClock
) -> None:
    """周报 by a head: the text, then the chart as a picture the page loads (behind the token)."""
    page = await open_page(browser, live_app)
    await page.get_by_role("button", name=DONGGUAN_ROOM).click()
    await page.get_by_label("以谁的身份发言").select_option(label="马建国（网格长 · 东关社区）")
    await page.locator("#text").fill("周报")
    await page.locator("#text").press("Enter")
    await expect(
        page.locator(".msg-bot .bubble").filter(has_text="【周报】东关社区")
    ).to_have_count(1)
    clock.advance(timedelta(seconds=2))  # the chart is the group's second message: 1 s apart
    chart = page.locator(".msg-bot img.attachment").last
    await expect(chart).to_be_visible()
    loaded = await chart.evaluate("img => img.complete && img.naturalWidth > 100")
    assert loaded
