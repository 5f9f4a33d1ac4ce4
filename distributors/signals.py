"""Signals of the distributors app, for the apps above it (the domain imports only downward).

Each is sent with transaction.on_commit, after the change it announces has committed, so a
receiver (notifications) never acts on something that was rolled back.

distributor_enrolled(distributor, actor): a distributor was enrolled one by one (distributor_enroll:
    the portal, the API, the admin, the referral page); `actor` is who enrolled them (None: nobody
    signed in, e.g. the referral page). Bulk imports and the demo's seeding do not send it.
"""

from django.dispatch import Signal

distributor_enrolled = Signal()
