from django.urls import path

from . import agreement, bank, me, tax, views

# `me/` (profile, rank, standing) and `downline/` show what the close decides: commissions/api/urls.py.
urlpatterns = [
    path("me/password/", me.PasswordChangeApi.as_view(), name="api-me-password"),
    path("me/bank-account/", bank.BankAccountApi.as_view(), name="api-me-bank-account"),
    path("me/vat-status/", tax.VatStatusApi.as_view(), name="api-me-vat-status"),
    path("me/agreement/", agreement.MyAgreementApi.as_view(), name="api-me-agreement"),
    path("me/agreement/accept/", agreement.AgreementAcceptApi.as_view(), name="api-me-agreement-accept"),
    path("upline/", views.UplineApi.as_view(), name="api-upline"),
    path("enrollments/", views.EnrollApi.as_view(), name="api-enroll"),
]
