"""Commission services, split by sub-domain: plans, periods, the close, adjustments, payouts."""
