import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from kezek.core.public_cache import PublicPageCache  # noqa: E402  (needs Django set up first)

application = PublicPageCache(django_application)
