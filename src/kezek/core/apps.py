from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kezek.core"
    label = "core"

    def ready(self) -> None:
        # Apps declare their background tasks in tasks.py; importing registers them with the worker.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
