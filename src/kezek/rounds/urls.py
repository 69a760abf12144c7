"""Pages of allocation rounds: public at /rounds/, the officers' under /rounds/officer/."""

from kezek.rounds import views

app_name = "rounds"

urlpatterns = views.urlpatterns
