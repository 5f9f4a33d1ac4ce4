from django.urls import path

from . import views

urlpatterns = [
    path("me/personal-data/", views.PersonalDataApi.as_view(), name="api-me-personal-data"),
]
