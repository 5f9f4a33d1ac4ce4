"""Portal: team (scaffold, replaced by the section's own views)."""

from django.shortcuts import render
from django.urls import path

from portal.access import distributor_required


@distributor_required
def index(request):
    return render(request, "portal/scaffold.html", {"title": "team"})


urlpatterns = [path("", index, name="team")]
