from kezek.core.ratelimit import rate_counters_prune
from kezek.core.worker import periodic_task


@periodic_task(name="core.prune_rate_counters", every_seconds=3600)
def prune_rate_counters() -> int:
    rate_counters_prune()
    return 0
