"""Writes to accounts: a user choosing their own password."""

from __future__ import annotations

from django.db import transaction

from zhibu.accounts.models import User


@transaction.atomic
def password_set(*, user: User, password: str) -> User:
    """The user's own new password (validated by the form); it ends a forced change."""
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    return user
