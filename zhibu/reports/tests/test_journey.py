"""A member writes a thought report on a phone, the secretary comments, the member reads it."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_thought_report_journey(world, page_for, live_server):
    member = page_for(world.member_user, phone=True)
    member.goto(f"{live_server.url}/reports/")
    member.click("[data-testid=new-report]")
    member.fill("input[name=title]", "2026年第四季度思想汇报")
    member.fill("textarea[name=body]", "本季度认真学习了党章党规，对照检查了自身不足。")
    member.click("[data-testid=submit-report]")
    member.wait_for_selector("text=汇报已提交")
    width = member.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"horizontal scroll on the phone: {width}px"

    secretary = page_for(world.secretary)
    secretary.goto(f"{live_server.url}/reports/")
    secretary.click("[data-testid=to-review] a")
    secretary.fill("[data-testid=comment]", "认识深刻，望继续保持。")
    secretary.click("[data-testid=send-comment]")
    secretary.wait_for_selector("[data-testid=review-comment]")

    member.goto(f"{live_server.url}/reports/")
    member.click("text=2026年第四季度思想汇报")
    comment = member.text_content("[data-testid=review-comment]")
    assert "认识深刻，望继续保持。" in comment
    member.screenshot(path="/tmp/zhibu-report-phone.png", full_page=True)
