"""Signals of the orders app, for the apps above it (the domain imports only downward).

Each is sent with transaction.on_commit, after the change it announces has committed, so a
receiver (notifications) never acts on something that was rolled back.

autoship_payment_failed(subscription, order, attempt, next_attempt_at): collecting the payment of
    an autoship order failed; attempt is the failed attempt's number (1 for the first try);
    next_attempt_at is None when no retry is left (the order is cancelled).
buyback_decided(request): staff approved or rejected a buy-back request.
"""

from django.dispatch import Signal

autoship_payment_failed = Signal()
buyback_decided = Signal()
