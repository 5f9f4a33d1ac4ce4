"""Single-use links for setting a password.

Django's generator hashes the user's password and last login into the token, so a link stops
working as soon as the password is set (single use). An invitation has its own salt (a reset
link is not an invitation link and the other way round) and its own lifetime,
settings.INVITATION_DAYS; a reset link lives settings.PASSWORD_RESET_TIMEOUT.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "backoffice.core.accounts.InvitationTokenGenerator"

    @property
    def timeout_seconds(self) -> int:
        return int(settings.INVITATION_DAYS) * 24 * 3600

    def check_token(self, user: Any, token: str | None) -> bool:
        """Django's check with this generator's lifetime instead of PASSWORD_RESET_TIMEOUT."""
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return (self._num_seconds(self._now()) - ts) <= self.timeout_seconds


invitation_token_generator = InvitationTokenGenerator()
