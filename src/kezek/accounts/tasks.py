from datetime import timedelta

from django.utils import timezone

from kezek.accounts.models import OtpChallenge
from kezek.core.worker import periodic_task


@periodic_task(name="accounts.prune_otp_challenges", every_seconds=3600)
def prune_otp_challenges() -> int:
    """Forget sign-in codes a day after they expired (they are useless and only grow the table)."""
    deleted, _ = OtpChallenge.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
