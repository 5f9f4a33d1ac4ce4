from django.urls import path

from . import me, privacy, views

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("me/password/", me.PasswordChangeApi.as_view(), name="api-me-password"),
    path("me/personal-data/", privacy.PersonalDataApi.as_view(), name="api-me-personal-data"),
    path("upline/", views.UplineApi.as_view(), name="api-upline"),
    path("downline/", views.DownlineListApi.as_view(), name="api-downline"),
    path("downline/<int:member_id>/", views.DownlineMemberApi.as_view(), name="api-downline-member"),
    path("enrollments/", views.EnrollApi.as_view(), name="api-enroll"),
]
