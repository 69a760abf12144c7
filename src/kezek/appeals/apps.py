from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "kezek.appeals"
    label = "appeals"
    verbose_name = "Appeals and incidents"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kezek.audit.public import public_action

        # A restore after an incident is public like the incident itself: how many things were given back.
        public_action("incident.restored", label=_("Incident remedied"), fields=("title", "summary", "status"))
