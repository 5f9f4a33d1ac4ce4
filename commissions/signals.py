"""Signals of the commissions app, for the apps above it (the domain imports only downward).

close_run_succeeded(run): sent inside the transaction that marks a close run succeeded, before
it commits. A receiver's writes commit with the run or not at all; a receiver that raises
fails the finalize, which the watchdog tries again (compliance writes the run's report here).
"""

from django.dispatch import Signal

close_run_succeeded = Signal()
