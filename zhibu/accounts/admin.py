"""Admin of accounts: API tokens are never listed.

A token is a password for the API: the superuser who could read a secretary's token could read
private thought reports as that secretary, against the privacy design. DRF's authtoken app
registers an admin that lists every key, so it is taken off here; tokens are issued with
`zhibu create-token` and shown once to whoever asked for theirs.
"""

from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

admin.site.unregister(TokenProxy)
