"""`{% audit_trail obj %}`: a record's audit trail on admin pages this app's templates extend."""

from django import template

from audit.admin import audit_trail_html

register = template.Library()


@register.simple_tag
def audit_trail(obj):
    return audit_trail_html(obj)
