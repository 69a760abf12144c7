"""Services of club vouchers: campaigns, issuing (rush claims, queue and lottery), placement, sections."""
