"""/account/...: set a password from an invitation, or reset a forgotten one."""

from django.urls import path

from . import views

app_name = "account"

urlpatterns = [
    path("invitation/<uidb64>/<token>/", views.InvitationSetPasswordView.as_view(), name="invitation"),
    path("password-reset/", views.PasswordResetRequestView.as_view(), name="password-reset"),
    path("password-reset/sent/", views.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetSetView.as_view(),
        name="password-reset-confirm",
    ),
    path("password-set/", views.PasswordSetDoneView.as_view(), name="password-set-done"),
]
