from django.db import models


class RateCounter(models.Model):
    """A fixed-window hit counter, used for rate limits when Redis is not configured."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField(help_text="Unix time of the window's start")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="ratecounter_key_window_uniq")]
        indexes = [models.Index(fields=["window_start"], name="ratecounter_window_idx")]
