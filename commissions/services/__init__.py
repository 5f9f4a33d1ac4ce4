"""Commission services, split by sub-domain: adjustments, payouts, clawbacks, the close's inputs and rows
(plans and periods are in the plans app; the close itself in commissions.close)."""
