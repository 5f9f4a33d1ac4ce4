from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("upline/", views.UplineApi.as_view(), name="api-upline"),
    path("downline/", views.DownlineListApi.as_view(), name="api-downline"),
    path("downline/<int:member_id>/", views.DownlineMemberApi.as_view(), name="api-downline-member"),
    path("enrollments/", views.EnrollApi.as_view(), name="api-enroll"),
]
