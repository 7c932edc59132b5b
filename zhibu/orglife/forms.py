"""Forms of the organizational-life pages.

They only parse and present input; every rule is checked by orglife.services, whose
ValidationErrors are put back next to the right field with `apply_errors`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhibu.core.text import normalize_digits
from zhibu.orglife.meeting_types import MEETING_TYPES, ContentCategory, meeting_type
from zhibu.orglife.models import MakeupMethod, Meeting, Outcome
from zhibu.orgs.models import Organization
from zhibu.orgs.selectors import parameter_value

DEFAULT_START = time(9, 0)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def combine(day: date, moment: time) -> datetime:
    """A local date and time as an aware datetime in the current time zone."""
    return timezone.make_aware(datetime.combine(day, moment))


def next_party_day(org: Organization, today: date | None = None) -> date:
    """The branch's next fixed party day, or three days ahead (advance notice) if none is set."""
    today = today or timezone.localdate()
    earliest = today + timedelta(days=1)
    if not org.fixed_party_day:
        return today + timedelta(days=3)
    day = min(org.fixed_party_day, 28)
    candidate = earliest.replace(day=day)
    if candidate < earliest:
        y, m = (
            (earliest.year + 1, 1) if earliest.month == 12 else (earliest.year, earliest.month + 1)
        )
        candidate = date(y, m, day)
    return candidate


def types_for(org: Organization) -> list[tuple[str, str]]:
    """Meeting types that may be held at this kind of organization."""
    return [(code, t.name) for code, t in MEETING_TYPES.items() if org.kind in t.org_kinds]


# Field names used by services, mapped to the form fields that show their errors.
ERROR_FIELDS = {
    "planned_start": "day",
    "planned_end": "end_time",
    "actual_start": "actual_start_time",
    "actual_end": "actual_end_time",
    "file": "upload",
}


def apply_errors(form: forms.Form, exc: ValidationError | PermissionDenied) -> None:
    """Show a service's ValidationError next to the fields it names (or above the form)."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
        return
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.error_dict.items():
        name = ERROR_FIELDS.get(key, key)
        messages = [m for e in errors for m in e.messages]
        if name in form.fields and name not in (form.errors or {}):
            form.add_error(name, messages)
        else:
            form.add_error(None, messages)


class MeetingForm(forms.Form):
    """Schedule or edit a meeting: a date and two times instead of two full timestamps."""

    meeting_type = forms.ChoiceField(label=_("类型"))
    topic = forms.CharField(label=_("主题"), max_length=200)
    content_category = forms.ChoiceField(
        label=_("内容类别"),
        choices=ContentCategory.choices,
        initial=ContentCategory.POLITICAL_STUDY,
    )
    day = forms.DateField(label=_("日期"), widget=DATE)
    start_time = forms.TimeField(label=_("开始时间"), widget=TIME, initial=DEFAULT_START)
    end_time = forms.TimeField(label=_("结束时间"), widget=TIME)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    agenda = forms.CharField(
        label=_("议程"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    materials = forms.CharField(
        label=_("学习材料"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    lecturer = forms.CharField(label=_("授课人"), max_length=100, required=False)
    late_entry_reason = forms.CharField(
        label=_("补记原因"),
        max_length=500,
        required=False,
        help_text=_("会议已过去较久，补记需要写明原因"),
    )

    def __init__(self, *args, org: Organization, meeting: Meeting | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.meeting = meeting
        choices = types_for(org)
        if meeting is not None and meeting.meeting_type not in dict(choices):
            choices.append((meeting.meeting_type, meeting.get_meeting_type_display()))
        self.fields["meeting_type"].choices = choices
        if meeting is not None:
            # The type decides who is due; it is fixed once scheduled.
            self.fields["meeting_type"].disabled = True
            start = timezone.localtime(meeting.planned_start)
            end = timezone.localtime(meeting.planned_end)
            self.initial.update(
                meeting_type=meeting.meeting_type,
                topic=meeting.topic,
                content_category=meeting.content_category,
                day=start.date(),
                start_time=start.time().replace(second=0, microsecond=0),
                end_time=end.time().replace(second=0, microsecond=0),
                place=meeting.place,
                agenda=meeting.agenda,
                materials=meeting.materials,
                lecturer=meeting.lecturer,
                late_entry_reason=meeting.late_entry_reason,
            )
        else:
            default_type = "party_day" if "party_day" in dict(choices) else choices[0][0]
            self.initial.setdefault("meeting_type", default_type)
            self.initial.setdefault("day", next_party_day(org))
            self.initial.setdefault("start_time", DEFAULT_START)
            # Planned as one half-day of the organization's length (parameter registry).
            half_day = timedelta(minutes=int(parameter_value(org, "half_day_minutes")))
            self.initial.setdefault(
                "end_time", (datetime.combine(date.today(), DEFAULT_START) + half_day).time()
            )

    def clean(self) -> dict:
        data = super().clean()
        day, start, end = data.get("day"), data.get("start_time"), data.get("end_time")
        if day and start and end:
            data["planned_start"] = combine(day, start)
            data["planned_end"] = combine(day, end)
            if end <= start:
                self.add_error("end_time", _("结束时间应晚于开始时间"))
        return data

    def service_fields(self) -> dict:
        """The cleaned values under the names orglife.services takes."""
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in (
                "meeting_type",
                "topic",
                "content_category",
                "place",
                "agenda",
                "materials",
                "lecturer",
                "planned_start",
                "planned_end",
            )
        }
        if data.get("late_entry_reason"):
            fields["late_entry_reason"] = data["late_entry_reason"]
        return fields


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=500)


class LeaveRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("请假事由"), max_length=500, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class LeaveFileForm(forms.Form):
    """A secretary files leave for a due attendee who asked by phone or in person."""

    member = forms.TypedChoiceField(label=_("请假党员"), coerce=int)
    reason = forms.CharField(label=_("请假事由"), max_length=500)
    requested_at = forms.DateTimeField(
        label=_("党员提出请假的时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    approve = forms.BooleanField(label=_("同时批准"), required=False, initial=True)

    def __init__(self, *args, attendances, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [
            (a.member_id, a.member.name) for a in attendances if a.signed_in_at is None
        ]


class LeaveDecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("批准")), ("0", _("不批准"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("审批意见"), max_length=500, required=False)


class SignInCodeForm(forms.Form):
    code = forms.CharField(
        label=_("签到码"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9０-９ ]*",
                "placeholder": "000000",
                "class": "code-input",
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalize_digits(self.cleaned_data["code"]).replace(" ", "")
        if not (code.isdigit() and len(code) == 6):
            raise ValidationError(_("签到码是6位数字，请对照大屏重新输入"))
        return code


class RecordForm(forms.Form):
    """The record of a held meeting: real times, minutes, decisions, outcome corrections."""

    actual_day = forms.DateField(label=_("实际日期"), widget=DATE)
    actual_start_time = forms.TimeField(label=_("实际开始"), widget=TIME)
    actual_end_time = forms.TimeField(label=_("实际结束"), widget=TIME)
    minutes = forms.CharField(
        label=_("会议记录"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    decisions = forms.CharField(
        label=_("决定事项"),
        required=False,
        help_text=_("每行一项"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    OUTCOME_CHOICES = [("", _("按签到"))] + list(Outcome.choices)

    def __init__(self, *args, meeting: Meeting, attendances=(), decisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        start = timezone.localtime(meeting.actual_start or meeting.planned_start)
        end = timezone.localtime(meeting.actual_end or meeting.planned_end)
        self.initial.setdefault("actual_day", start.date())
        self.initial.setdefault("actual_start_time", start.time().replace(second=0, microsecond=0))
        self.initial.setdefault("actual_end_time", end.time().replace(second=0, microsecond=0))
        self.initial.setdefault("minutes", meeting.minutes)
        self.initial.setdefault("decisions", "\n".join(d.text for d in decisions))
        self.outcome_fields = []
        for att in attendances:
            name = f"outcome_{att.member_id}"
            self.fields[name] = forms.ChoiceField(
                label=att.member.name, choices=self.OUTCOME_CHOICES, required=False
            )
            self.initial.setdefault(name, att.outcome)
            self.outcome_fields.append(name)

    def clean(self) -> dict:
        data = super().clean()
        day = data.get("actual_day")
        start, end = data.get("actual_start_time"), data.get("actual_end_time")
        if day and start and end:
            data["actual_start"] = combine(day, start)
            data["actual_end"] = combine(day, end)
            if end <= start:
                self.add_error("actual_end_time", _("结束时间应晚于开始时间"))
        return data

    def outcomes(self) -> dict[int, str]:
        chosen = {}
        for name in self.outcome_fields:
            value = self.cleaned_data.get(name)
            if value and value != self.initial.get(name):
                chosen[int(name.removeprefix("outcome_"))] = value
        return chosen

    def decision_list(self) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data["decisions"].splitlines() if line.strip()
        ]

    def outcome_rows(self):
        return [self[name] for name in self.outcome_fields]


class StepForm(forms.Form):
    code = forms.ChoiceField(label=_("步骤"))
    done_on = forms.DateField(label=_("完成日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), required=False, max_length=1000)

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [
            (s.code, s.name) for s in meeting_type(meeting.meeting_type).steps
        ]
        self.initial.setdefault(
            "done_on", timezone.localtime(meeting.actual_start or meeting.planned_start).date()
        )


class DiscussionForm(forms.Form):
    speaker = forms.TypedChoiceField(
        label=_("发言人"), required=False, coerce=int, empty_value=None
    )
    text = forms.CharField(label=_("发言内容"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, attendances=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["speaker"].choices = [("", "—")] + [
            (a.member_id, a.member.name) for a in attendances
        ]


class AttachmentForm(forms.Form):
    upload = forms.FileField(
        label=_("附件"),
        help_text=_("可选：图片、PDF 或 Office 文档。照片不是必需的"),
    )


AMENDABLE = [
    ("topic", _("主题")),
    ("content_category", _("内容类别")),
    ("place", _("地点")),
    ("minutes", _("会议记录")),
    ("actual_start", _("实际开始")),
    ("actual_end", _("实际结束")),
    ("agenda", _("议程")),
    ("materials", _("学习材料")),
    ("lecturer", _("授课人")),
]


class AmendForm(forms.Form):
    """补记 after the lock: a field, its new value and the reason (kept in the history)."""

    field = forms.ChoiceField(label=_("修改项"))
    value = forms.CharField(
        label=_("新内容"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("时间写成 2026-03-10 09:00；出勤写 出席、迟到、早退、请假 或 缺席"),
    )
    reason = forms.CharField(label=_("补记原因"), max_length=500)

    def __init__(self, *args, attendances=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = list(AMENDABLE) + [
            (f"attendance:{a.member_id}", _("出勤：%(name)s") % {"name": a.member.name})
            for a in attendances
        ]

    def clean(self) -> dict:
        data = super().clean()
        field, value = data.get("field") or "", data.get("value")
        if field in ("actual_start", "actual_end") and value:
            text = normalize_digits(value)
            for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M"):
                try:
                    data["value"] = timezone.make_aware(datetime.strptime(text, fmt))
                    break
                except ValueError:
                    continue
            else:
                self.add_error("value", _("时间格式不对，请写成 2026-03-10 09:00"))
        elif field.startswith("attendance:") and value:
            labels = {str(label): code for code, label in Outcome.choices}
            code = labels.get(value.strip(), value.strip())
            if code not in Outcome.values:
                self.add_error("value", _("出勤请写 出席、迟到、早退、请假 或 缺席"))
            data["value"] = code
        return data


class MakeupSubmitForm(forms.Form):
    method = forms.ChoiceField(
        label=_("补课方式"),
        choices=MakeupMethod.choices,
        initial=MakeupMethod.STUDY,
        widget=forms.RadioSelect,
    )
    reflection = forms.CharField(
        label=_("学习心得"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    later_meeting = forms.TypedChoiceField(
        label=_("参加的后续场次"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, later_meetings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["later_meeting"].choices = [("", "—")] + [
            (m.pk, f"{timezone.localtime(m.planned_start):%m-%d} {m}") for m in later_meetings
        ]
        self.later_meetings = {m.pk: m for m in later_meetings}
        if not later_meetings:  # nothing attended since: studying is the only way
            self.fields["method"].choices = [
                c for c in MakeupMethod.choices if c[0] == MakeupMethod.STUDY
            ]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("method") == MakeupMethod.STUDY and not (data.get("reflection") or "").strip():
            self.add_error("reflection", _("请写几句学习心得"))
        if data.get("method") == MakeupMethod.LATER_SESSION and not data.get("later_meeting"):
            self.add_error("later_meeting", _("请选择参加的后续场次"))
        data["later_meeting"] = self.later_meetings.get(data.get("later_meeting"))
        return data


class PlanForm(forms.Form):
    """The annual plan (month left empty) or one month's plan of a branch."""

    month = forms.TypedChoiceField(
        label=_("计划期间"),
        coerce=int,
        empty_value=None,
        required=False,
    )
    content = forms.CharField(
        label=_("计划内容"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [("", _("全年（年度计划）"))] + [
            (m, _("%(m)d 月") % {"m": m}) for m in range(1, 13)
        ]
