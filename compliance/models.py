"""Compliance evidence: the period compliance report and income disclosure statements."""
