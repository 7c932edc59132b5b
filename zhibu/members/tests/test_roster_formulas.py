"""Formula injection through the roster: names and branch names starting with = + - @ are
exported as text, not live formulas, and the import reads the file back unchanged."""

import io

import pytest
from openpyxl import load_workbook

from zhibu.core.tests.test_xlsx import EVIL, formulas
from zhibu.members.models import Member
from zhibu.members.roster import roster_export, roster_import
from zhibu.members.services import member_update

pytestmark = pytest.mark.django_db


def test_roster_export_has_no_formula_and_imports_back_unchanged(world):
    world.sibling.name = EVIL[0]
    world.sibling.save()
    for member, name in zip(
        [world.member, world.other_member, world.sibling_member], EVIL[1:], strict=True
    ):
        member_update(member=member, name=name)
    data = roster_export(user=world.admin, queryset=Member.objects.all())
    assert formulas(data) == []
    ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    values = {v for row in ws.iter_rows(values_only=True) for v in row}
    assert set(EVIL) <= values
    snapshot = list(Member.objects.order_by("pk").values())
    result = roster_import(actor=world.admin, file=data)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (0, 0)
    assert list(Member.objects.order_by("pk").values()) == snapshot


def test_a_formula_without_a_calculated_value_is_reported_as_a_formula(world):
    """A name typed as =CONCAT(...) and never calculated used to be reported as "必填"."""
    from zhibu.members.tests.test_roster import good_row, xlsx

    data = xlsx([good_row(1, 姓名='=CONCAT("张","三")'), good_row(2)])
    result = roster_import(actor=world.admin, file=data)
    assert not result.ok
    messages = [e.message for e in result.errors if e.column == "姓名"]
    assert messages and "是公式" in messages[0] and "CONCAT" in messages[0]
    assert not any("必填" in m for m in messages)
