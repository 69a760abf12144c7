"""Appeals against a wrong (lost place, offer expired while the site was down, wrong priority, payment refused),
decided by an officer within working days, and incident remedies that restore what a failure took."""
