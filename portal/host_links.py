"""The host link: a signed, expiring address the consultant sends the host of a demonstration.

It opens, without an account, the party's sales so far and the host's rewards (portal/views/host.py).
The token is signed with the project's SECRET_KEY and a salt of its own (a token of another kind
never passes), names one demonstration and carries the moment it expires: a week after the party
was held, or after its close when that came later. A changed token fails the signature; nothing
in it is secret (the id), and nothing is stored.
"""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.utils import timezone

from orders.models import Demonstration

SALT = "portal.host-link"
# How long after the party (or its close) the host can look at it.
VALID_AFTER = dt.timedelta(days=7)


class HostLinkInvalid(Exception):
    """Not a host link we signed (tampered, truncated, or signed for something else)."""


class HostLinkExpired(Exception):
    """A host link we signed whose time is over."""


def host_link_expires(demonstration: Demonstration) -> dt.datetime:
    held_or_closed = max(demonstration.held_at, demonstration.closed_at or demonstration.held_at)
    return held_or_closed + VALID_AFTER


def host_link_token(demonstration: Demonstration) -> str:
    until = int(host_link_expires(demonstration).timestamp())
    return signing.dumps({"d": demonstration.pk, "u": until}, salt=SALT, compress=True)


def read_host_link(token: str, *, now: dt.datetime | None = None) -> tuple[int, dt.datetime]:
    """The id of the demonstration a token names and until when it is valid; HostLinkInvalid or
    HostLinkExpired otherwise."""
    try:
        payload = signing.loads(token, salt=SALT)
        demonstration_id, until = int(payload["d"]), int(payload["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise HostLinkInvalid from error
    if (now or timezone.now()).timestamp() > until:
        raise HostLinkExpired
    return demonstration_id, dt.datetime.fromtimestamp(until, tz=dt.UTC)
