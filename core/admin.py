"""Titles of the admin site, which is the portal's main screen."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME
admin.site.index_title = "Dashboard"


class BoundedDateHierarchyChangeList(ChangeList):
    """A changelist that rejects a date-hierarchy year, month or day at the end of the calendar.

    Django 5.2 computes the end of the chosen period with `date + timedelta` or
    `replace(year=year + 1)`, which raises OverflowError or ValueError for 9999-12-31 and
    year 9999. Raising IncorrectLookupParameters makes the admin redirect to the
    unfiltered list with `?e=1`, as it does for other invalid filters, instead of an
    HTTP 500.
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class BoundedDateHierarchyMixin:
    """ModelAdmin mixin that uses BoundedDateHierarchyChangeList for its changelist."""

    def get_changelist(self, request, **kwargs):
        return BoundedDateHierarchyChangeList
