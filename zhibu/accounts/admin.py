"""Admin of accounts: API tokens are never listed; login lockouts can be lifted.

A token is a password for the API: the superuser who could read a secretary's token could read
private thought reports as that secretary, against the privacy design. DRF's authtoken app
registers an admin that lists every key, so it is taken off here; tokens are issued with
`zhibu create-token` and shown once to whoever asked for theirs.

django-axes' lists (访问尝试: deleting a row unlocks that account or address) are kept without
their date drill-down, which needs time-zone tables that MySQL/MariaDB servers often lack.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

admin.site.unregister(TokenProxy)

for model, base in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (base,), {"date_hierarchy": None}))
