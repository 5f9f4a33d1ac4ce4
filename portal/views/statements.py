"""Portal: statements (scaffold, replaced by the section's own views)."""

from django.shortcuts import render
from django.urls import path

from portal.access import distributor_required


@distributor_required
def index(request):
    return render(request, "portal/scaffold.html", {"title": "statements"})


urlpatterns = [path("", index, name="statements")]


@distributor_required
def income_disclosure(request):
    return render(request, "portal/scaffold.html", {"title": "income disclosure"})


urlpatterns += [path("income-disclosure/", income_disclosure, name="income-disclosure")]
