"""Admin forms for creating and editing API tokens."""

from typing import Any

from django import forms
from django.utils import timezone

from tokens.methods import AXERRIO_METHODS, all_method_names, token_types_for
from tokens.models import ApiToken
from tokens.services import TokenInputError, networks_parse, token_daily_quota_clean

PRESET_NONE = ""
PRESET_AXERRIO = "axerrio"
PRESET_ALL = "all"


class MethodCheckboxes(forms.CheckboxSelectMultiple):
    """Method checkboxes plus a script that ticks a preset with one click."""

    class Media:
        js = ["tokens/method_presets.js"]


def _method_choices() -> list[tuple[str, str]]:
    axerrio = set(AXERRIO_METHODS)
    choices = []
    for name in all_method_names():
        notes = []
        if name in axerrio:
            notes.append("Axerrio")
        if "vendor" not in token_types_for(name):
            notes.append("company tokens only")
        label = f"{name} ({', '.join(notes)})" if notes else name
        choices.append((name, label))
    return choices


class ApiTokenNetworksMixin:
    def clean_allowed_networks(self) -> str:
        try:
            return "\n".join(networks_parse(self.cleaned_data.get("allowed_networks") or ""))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return expires_at


class DailyQuotaMixin:
    """The daily quota rule of `tokens.services`, shared by the add and change forms."""

    def clean_daily_quota(self) -> int:
        quota = self.cleaned_data.get("daily_quota")
        if quota is None or quota < 1:
            raise forms.ValidationError("The daily quota must be at least 1 request.")
        try:
            return token_daily_quota_clean(quota)
        except TokenInputError as error:
            raise forms.ValidationError(str(error)) from None


class ApiTokenCreateForm(DailyQuotaMixin, ApiTokenNetworksMixin, forms.ModelForm):
    preset = forms.ChoiceField(
        required=False,
        choices=[
            (PRESET_NONE, "None: use the methods ticked below"),
            (PRESET_AXERRIO, f"Axerrio: the {len(AXERRIO_METHODS)} methods Axerrio calls"),
            (PRESET_ALL, "All: every method this token type may call"),
        ],
        help_text="A preset replaces the ticked methods when the form is saved.",
    )
    methods = forms.MultipleChoiceField(
        required=False,
        choices=_method_choices,
        widget=MethodCheckboxes(attrs={"data-axerrio-methods": ",".join(AXERRIO_METHODS)}),
        help_text="The API methods this token may call.",
    )

    class Meta:
        model = ApiToken
        fields = [
            "token_type",
            "vendor",
            "description",
            "preset",
            "methods",
            "expires_at",
            "daily_quota",
            "allowed_networks",
        ]
        help_texts = {
            "vendor": "Required for a vendor token: the farm whose data the token can reach.",
            "expires_at": "Optional; the token stops working at this time.",
            "daily_quota": "Requests allowed per UTC day; past it the API answers HTTP 429.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["daily_quota"].min_value = 1
        self.fields["daily_quota"].widget.attrs["min"] = 1

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        token_type = cleaned.get("token_type")
        vendor = cleaned.get("vendor")
        if token_type == ApiToken.TokenType.VENDOR and vendor is None:
            self.add_error("vendor", "A vendor token must name the vendor it belongs to.")
        if token_type == ApiToken.TokenType.COMPANY and vendor is not None:
            self.add_error("vendor", "A company token is not bound to a vendor; clear this field.")

        preset = cleaned.get("preset")
        if preset == PRESET_AXERRIO:
            cleaned["methods"] = list(AXERRIO_METHODS)
        elif preset == PRESET_ALL and token_type:
            cleaned["methods"] = [
                name for name in all_method_names() if token_type in token_types_for(name)
            ]
        methods = cleaned.get("methods") or []
        if not methods:
            self.add_error("methods", "Tick at least one method or choose a preset.")
        elif token_type:
            company_only = [name for name in methods if token_type not in token_types_for(name)]
            if company_only:
                self.add_error(
                    "methods",
                    f"A {token_type} token cannot call {', '.join(company_only)}; untick "
                    "them or issue a company token.",
                )
        return cleaned



class ApiTokenChangeForm(DailyQuotaMixin, ApiTokenNetworksMixin, forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["description", "expires_at", "daily_quota", "allowed_networks"]

