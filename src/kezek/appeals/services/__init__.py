"""Services of appeals and incidents: filing and deciding appeals, recording and remedying incidents, and the
remedies both execute through the owning apps' services (placements, vouchers, payments)."""
