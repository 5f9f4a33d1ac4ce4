"""The login backend: Django's ModelBackend, safe with any text typed as a username."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Field


class UsernameSafeModelBackend(ModelBackend):
    """A username PostgreSQL cannot compare (NUL) or longer than any username is simply no user.

    The forms and the token endpoint refuse such input first; this keeps every other caller of
    authenticate() from a DataError (a 500). The password hasher still runs once, like
    ModelBackend does for an unknown user, so the answer takes as long either way.
    """

    def authenticate(self, request: Any, username: Any = None, password: Any = None, **kwargs: Any):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        username_field = User._meta.get_field(User.USERNAME_FIELD)
        assert isinstance(username_field, Field)
        max_length = username_field.max_length or 254
        if isinstance(username, str) and ("\x00" in username or len(username) > max_length):
            User().set_password(password)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
