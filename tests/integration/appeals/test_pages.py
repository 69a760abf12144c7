"""Appeal pages: the filer files and follows, the officer decides from the list, the administrator restores an incident."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from kezek.appeals.models import Appeal, Incident
from tests.factories.accounts import make_admin, make_parent
from tests.factories.applications import make_application

from .conftest import PDF, pdf


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_a_parent_files_and_follows_an_appeal_and_the_officer_decides_it(officer):
    application = make_application(status="inactive")
    parent = signed_in(application.applicant)
    assert parent.get("/appeals/new/").status_code == 200
    response = parent.post("/appeals/new/", {
        "kind": "lost_place", "subject_kind": "application", "subject_id": application.pk, "text": "Lost my place",
        "documents": [pdf()],
    })
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/appeals/{appeal.pk}/"
    assert "Lost my place" in parent.get(f"/appeals/{appeal.pk}/").content.decode()
    assert str(appeal.pk) in parent.get("/appeals/").content.decode()
    document = appeal.documents.get()
    download = parent.get(f"/appeals/{appeal.pk}/documents/{document.pk}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert signed_in(make_parent()).get(f"/appeals/{appeal.pk}/documents/{document.pk}").status_code == 404
    assert signed_in(make_parent()).get(f"/appeals/{appeal.pk}/").status_code == 404

    desk = signed_in(officer)
    assert f"/appeals/{appeal.pk}/" in desk.get("/appeals/officer/").content.decode()
    refused = desk.post(f"/appeals/{appeal.pk}/decide/", {"decision": "upheld", "reason": ""})
    assert refused.status_code == 422
    assert parent.post(f"/appeals/{appeal.pk}/decide/", {"decision": "upheld", "reason": "me"}).status_code == 403
    decided = desk.post(f"/appeals/{appeal.pk}/decide/", {"decision": "upheld", "reason": "The site was down"})
    assert decided.status_code == 302
    page = parent.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "The site was down" in page and Appeal.objects.get().status == "upheld"


def test_a_refused_filing_shows_the_error_and_saves_nothing():
    application = make_application()
    stranger = signed_in(make_parent())
    response = stranger.post("/appeals/new/", {
        "kind": "lost_place", "subject_kind": "application", "subject_id": application.pk, "text": "x",
    })
    assert response.status_code == 422 and "alert" in response.content.decode()
    assert not Appeal.objects.exists()
    assert Client(HTTP_ACCEPT_LANGUAGE="en").get("/appeals/").status_code == 302  # to sign-in


def test_the_incident_pages_are_for_administrators(officer):
    admin = signed_in(make_admin())
    assert signed_in(officer).get("/appeals/incidents/").status_code == 403
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    response = admin.post("/appeals/incidents/", {
        "starts_at": (now - dt.timedelta(hours=3)).strftime(fmt), "ends_at": (now - dt.timedelta(hours=1)).strftime(fmt),
        "description": "Payment gateway down",
    })
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/appeals/incidents/{incident.pk}/"
    page = admin.get(f"/appeals/incidents/{incident.pk}/").content.decode()
    assert "Payment gateway down" in page and "Refused claims are not stored" in page
    assert admin.post(f"/appeals/incidents/{incident.pk}/restore/").status_code == 302
    bad = admin.post("/appeals/incidents/", {"starts_at": now.strftime(fmt), "ends_at": now.strftime(fmt), "description": "x"})
    assert bad.status_code == 422 and Incident.objects.count() == 1
