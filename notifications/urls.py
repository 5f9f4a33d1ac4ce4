"""/notifications/...: the public unsubscribe page of every mail's link (no sign-in)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe")]
