from django.urls import path, re_path
from django.views.generic import RedirectView

from receiving import views

app_name = "receiving"

_DATE = r"(?P<ship_date>\d{4}-\d{2}-\d{2})"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="receiving:scan", permanent=False), name="index"),
    path("scan/", views.scan, name="scan"),
    path("report/", views.report_lookup, name="report"),
    path("report/awb/<str:awb>/", views.report_awb, name="report_awb"),
    path("report/awb/<str:awb>/csv/", views.report_awb_csv, name="report_awb_csv"),
    re_path(rf"^report/ship-date/{_DATE}/$", views.report_ship_date, name="report_ship_date"),
    re_path(
        rf"^report/ship-date/{_DATE}/csv/$",
        views.report_ship_date_csv,
        name="report_ship_date_csv",
    ),
    path("awb/", views.awb_index, name="awb_list"),
    path("awb/<str:awb>/", views.awb_detail, name="awb"),
]
