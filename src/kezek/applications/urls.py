"""Pages of the kindergarten queue: each views module lists its own URL patterns."""

from kezek.applications.views import documents, officer, parent

app_name = "applications"

urlpatterns = [*parent.urlpatterns, *documents.urlpatterns, *officer.urlpatterns]
