"""The city/province generator, at a tiny size: tree paths, counts, streaming batches."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Count

from zhibu.demo.scale import build_scale, scale_id_number
from zhibu.members.models import BranchTenure, CommitteePosition, Member
from zhibu.members.validators import birth_date_from_id, id_number_error
from zhibu.orglife.models import Attendance, Meeting
from zhibu.orgs.models import Organization, OrgKind, subtree_q

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def scale(db):
    with time_machine.travel(NOW, tick=False):
        # Tiny batches so every table is flushed many times mid-run, as at province scale.
        yield build_scale(
            branches=7,
            members_per_branch=26,
            branches_per_committee=3,
            committees_per_region=2,
            attendance_every=2,
            batch=50,
        )


def test_tree_and_paths(scale):
    orgs = Organization.objects.select_related("parent")
    root = orgs.get(pk=scale.root_id)
    for org in orgs:
        assert org.path == (org.parent.path if org.parent else "") + str(org.pk).zfill(10)
        assert org.depth == len(org.path) // 10 - 1
    kinds = dict(orgs.values_list("kind").annotate(n=Count("pk")))
    assert kinds[OrgKind.BRANCH] == 7
    assert kinds[OrgKind.ORGANS_WORK_COMMITTEE] == 3  # ceil(7 / 3)
    assert kinds[OrgKind.BASE_PARTY_COMMITTEE] == 1 + 2  # root + regions (3 committees > 2)
    assert Organization.objects.filter(subtree_q(root.path)).count() == orgs.count()
    region = orgs.filter(parent=root).first()
    under = Organization.objects.filter(subtree_q(region.path), kind=OrgKind.BRANCH).count()
    assert 0 < under < 7


def test_members_counts_and_ids(scale):
    members = Member.objects.all()
    assert scale.counts["members.Member"] == members.count()
    assert BranchTenure.objects.count() == members.count()
    for id_number, birth, gender in members.values_list("id_number", "birth_date", "gender"):
        assert id_number_error(id_number) is None
        assert birth_date_from_id(id_number) == birth
        assert (int(id_number[16]) % 2 == 1) == (gender == "male")
    # Every branch has exactly one secretary; every member sits in a branch.
    secretaries = CommitteePosition.objects.filter(role="secretary")
    assert secretaries.count() == 7
    assert not members.exclude(branch__kind=OrgKind.BRANCH).exists()


def test_id_numbers_are_unique_by_construction():
    numbers = {scale_id_number(i)[0] for i in range(50_000)}
    assert len(numbers) == 50_000


def test_year_of_meetings_and_sampled_attendance(scale):
    branches = Organization.objects.filter(kind=OrgKind.BRANCH)
    with_meetings = Meeting.objects.filter(org__kind=OrgKind.BRANCH).values("org_id").distinct()
    assert with_meetings.count() == 7
    per_branch = (
        Meeting.objects.filter(meeting_type="party_day").values("org_id").annotate(n=Count("pk"))
    )
    assert all(row["n"] >= 12 for row in per_branch)
    attended = {
        parent if kind == OrgKind.PARTY_GROUP else org
        for org, parent, kind in Attendance.objects.values_list(
            "meeting__org_id", "meeting__org__parent_id", "meeting__org__kind"
        ).distinct()
    }
    # Every second branch (the 2nd, 4th and 6th generated) carries attendance rows.
    assert len(attended) == 3 and attended <= set(branches.values_list("pk", flat=True))
    assert scale.counts["orglife.Attendance"] == Attendance.objects.count() > 0


@pytest.mark.django_db
def test_build_scale_by_preset_name():
    from zhibu.demo.services import build_scale as by_name

    with pytest.raises(ValueError, match="未知规模"):
        by_name("galaxy")
    with time_machine.travel(NOW, tick=False):
        result = by_name("tiny", branches=4, members_per_branch=8, meetings=False)
    assert Organization.objects.filter(kind=OrgKind.BRANCH).count() == 4
    assert not Meeting.objects.exists()
    assert result.counts["members.Member"] == Member.objects.count()
