"""OpenAPI description of the Komet methods, generated from their input serializers.

Write methods document their serializer as the JSON request body, list methods as query
parameters; every response is Komet's envelope (`status`, `message` and method fields).
The schema is built from code only, so no farm-supplied text ever appears in it.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes
from rest_framework import serializers

TOKEN_DESCRIPTION = "API token: body field for POST methods, query parameter for GET methods."


class EnvelopeSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="1 on success, 0 on failure.")
    message = serializers.CharField(help_text="Outcome; on failure names the field and the rule.")


class KometAutoSchema(AutoSchema):
    """Schema for one `KometMethod`: its verb, its input serializer and the envelope."""

    def _serializer(self):
        return getattr(self.view, "input_serializer", None)

    def get_operation_id(self) -> str:
        return self.view.name.replace(".", "_")

    def get_tags(self) -> list[str]:
        return [self.view.name.split(".")[0]]

    def get_description(self) -> str:
        doc = (type(self.view).__doc__ or "").strip()
        return doc or f"Komet method `{self.view.name}`."

    def get_request_serializer(self):
        if self.method == "GET" or self.view.name == "login":
            return None
        return self._serializer()

    def map_parsers(self) -> list[str]:
        # The views read the body themselves (no DRF parsers), always as JSON.
        return ["application/json"]

    def get_response_serializers(self):
        return EnvelopeSerializer

    def get_override_parameters(self) -> list:
        parameters = [
            OpenApiParameter(
                "authenticationToken",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=self.method == "GET",
                description=TOKEN_DESCRIPTION,
            )
        ]
        if self.view.name == "login":
            return [
                OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.QUERY, required=True)
                for name in ("username", "password")
            ]
        if getattr(self.view, "is_write", True):
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="Optional; a retry with the same key and body returns the "
                    "first answer and writes nothing.",
                )
            )
        serializer_class = self._serializer()
        if self.method == "GET" and serializer_class is not None:
            for name, field in serializer_class().fields.items():
                parameters.append(
                    OpenApiParameter(
                        name,
                        _query_type(field),
                        OpenApiParameter.QUERY,
                        required=field.required,
                        description=str(field.help_text or ""),
                    )
                )
        return parameters


def _query_type(field: serializers.Field):
    if isinstance(field, serializers.IntegerField):
        return OpenApiTypes.INT
    if isinstance(field, serializers.BooleanField):
        return OpenApiTypes.BOOL
    if isinstance(field, serializers.DateTimeField):
        return OpenApiTypes.DATETIME
    if isinstance(field, serializers.DateField):
        return OpenApiTypes.DATE
    return OpenApiTypes.STR
