"""The dashboard on a phone: the branch names stay in view while the table scrolls sideways."""

import pytest
from django.urls import reverse

from zhibu.compliance.tests.conftest import make_obligation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_column_stays_in_view_when_the_table_scrolls(world, now, page_for, live_server):
    make_obligation(world.branch, status="met")
    make_obligation(world.sibling, status="not_met", pattern="time_squeezed")
    page = page_for(world.admin, phone=True)
    page.goto(live_server.url + reverse("compliance:dashboard", args=[world.committee.pk]))
    table = page.get_by_test_id("traffic-table")
    wrap = table.locator("xpath=..")
    name = table.locator("tbody tr th[scope=row]").first
    assert name.inner_text() == "第一党支部"
    overflow = wrap.evaluate("w => w.scrollWidth - w.clientWidth")
    assert overflow > 100, "the table must be wider than the phone for this check to mean much"
    before = name.bounding_box()
    last = table.locator("tbody tr").first.locator("td").last
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    page.wait_for_function("w => w.scrollLeft > 0", arg=wrap.element_handle())
    after = name.bounding_box()
    # The name did not move while the last column came into view beside it.
    assert abs(after["x"] - before["x"]) < 1
    assert last.bounding_box()["x"] < 390
    # Nothing painted over the name: the element at its centre is the name cell itself.
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('th')?.innerText",
        [after["x"] + after["width"] / 2, after["y"] + after["height"] / 2],
    )
    assert hit == "第一党支部"
