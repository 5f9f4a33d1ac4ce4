"""Absolute links to this site for people outside the current request (a host's invitation, a
referral link, a QR code): built from settings.PUBLIC_URL, the address people reach the site at (as
the links in e-mails, core.accounts.mail), never from the request's Host header, which the client
chooses.
"""

from __future__ import annotations

from django.conf import settings


def public_url(path: str) -> str:
    """`path` (absolute, starting with "/", e.g. a reverse()) on the public address of the site."""
    return settings.PUBLIC_URL.rstrip("/") + path
