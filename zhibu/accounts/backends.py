from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from zhibu.accounts.models import User
from zhibu.core.text import normalize_digits


class PhoneOrUsernameBackend(ModelBackend):
    """Log in with a username or a phone number (members rarely remember usernames)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        login = normalize_digits(username.strip())
        user = User.objects.filter(Q(username=login) | Q(phone=login)).order_by("pk").first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
