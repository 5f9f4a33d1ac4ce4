from django.urls import path

from . import views

urlpatterns = [
    path("me/notifications/", views.NotificationSettingsApi.as_view(), name="api-me-notifications"),
]
