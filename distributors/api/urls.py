from django.urls import path

from . import bank, me, views

# `me/` (profile, rank, standing) and `downline/` show what the close decides: commissions/api/urls.py.
urlpatterns = [
    path("me/password/", me.PasswordChangeApi.as_view(), name="api-me-password"),
    path("me/bank-account/", bank.BankAccountApi.as_view(), name="api-me-bank-account"),
    path("upline/", views.UplineApi.as_view(), name="api-upline"),
    path("enrollments/", views.EnrollApi.as_view(), name="api-enroll"),
]
