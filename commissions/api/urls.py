from django.urls import path

from . import downline, invoices, me, views

urlpatterns = [
    path("me/", me.MeApi.as_view(), name="api-me"),
    path("downline/", downline.DownlineListApi.as_view(), name="api-downline"),
    path("downline/<int:member_id>/", downline.DownlineMemberApi.as_view(), name="api-downline-member"),
    path("periods/", views.PeriodListApi.as_view(), name="api-periods"),
    path("statements/", views.StatementListApi.as_view(), name="api-statements"),
    path("statements/<str:period>/", views.StatementDetailApi.as_view(), name="api-statement"),
    path("statements/<str:period>/lines/", views.StatementLineListApi.as_view(), name="api-statement-lines"),
    path("me/progress/", views.ProgressApi.as_view(), name="api-me-progress"),
    path("payouts/", views.PayoutListApi.as_view(), name="api-payouts"),
    path("me/invoices/", invoices.InvoiceListApi.as_view(), name="api-me-invoices"),
    path("me/invoices/<str:number>/pdf/", invoices.InvoicePdfApi.as_view(), name="api-me-invoice-pdf"),
]
