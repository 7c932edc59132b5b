"""Move parameters of organizational life out of rule overrides and old settings keys.

Before the parameter registry (zhibu/orgs/parameters.py), a make-up deadline, half-day length,
perfunctory limit or notice days could be set on a rule override, where it reached verdicts
but not the records (a make-up kept the 30-day date). Each such value becomes the
organization's setting of the parameter (unless it already has one), with its loosening flag
and a ParameterChange row; the override keeps only its rule-specific params and is removed
when nothing is left. An old "half_day_hours" setting becomes "half_day_minutes".

The keys are listed here, not imported: a migration must not change when the code does.
"""

from django.db import migrations

MOVED = {"makeup_days", "flag_minutes", "notice_days"}
HOURS = "half_day_hours"
LOOSENED = "parameters_loosened"
REASON = "由规则调整迁移为组织生活参数"


def _minutes(hours) -> int:
    return round(float(hours) * 60)


def forwards(apps, schema_editor):
    RuleOverride = apps.get_model("compliance", "RuleOverride")
    Organization = apps.get_model("orgs", "Organization")
    ParameterChange = apps.get_model("orgs", "ParameterChange")

    for org in Organization.objects.filter(settings__has_key=HOURS):
        values = dict(org.settings)
        hours = values.pop(HOURS)
        values.setdefault("half_day_minutes", _minutes(hours))
        org.settings = values
        org.save(update_fields=["settings"])

    for ov in RuleOverride.objects.select_related("org").order_by("pk"):
        params = dict(ov.params or {})
        found = {k: params.pop(k) for k in list(params) if k in MOVED or k == HOURS}
        if not found:
            continue
        org = ov.org
        values = dict(org.settings or {})
        loosened = set(values.get(LOOSENED) or ())
        for key, raw in found.items():
            if key == HOURS:
                key, raw = "half_day_minutes", _minutes(raw)
            if key in values:
                continue
            values[key] = int(raw)
            if ov.loosens:
                loosened.add(key)
            ParameterChange.objects.create(
                org=org,
                key=key,
                value=int(raw),
                loosens=ov.loosens,
                reason=ov.reason or REASON,
                created_by_id=ov.created_by_id,
            )
        if loosened:
            values[LOOSENED] = sorted(loosened)
        org.settings = values
        org.save(update_fields=["settings"])
        if params or ov.severity or not ov.enabled:
            ov.params = params
            ov.save(update_fields=["params"])
        else:
            ov.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0005_obligation_final"),
        ("orgs", "0003_parameterchange"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
