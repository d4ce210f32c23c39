"""Forms of the scan page and the report lookup."""

from django import forms

from orders.awb import AWB_LENGTH, awb_error, awb_format, awb_normalize
from orders.models import Box
from receiving.services import LOCATION_MAX_LENGTH


def clean_awb_field(value: str) -> str:
    """Normalise an AWB typed by a person to 11 digits, or raise ValidationError.

    The rules and messages are those of the API (`orders.awb.awb_error`). An 11-digit
    number that breaks a rule (check digit, prefix 000, serial 0000000) is still accepted
    when boxes were shipped on it, so a stored number can be received and reported.
    """
    awb = awb_normalize(value)
    if not awb:
        return ""
    problem = awb_error(awb)
    if not problem:
        return awb
    is_eleven_digits = len(awb) == AWB_LENGTH and awb.isascii() and awb.isdigit()
    if is_eleven_digits and Box.objects.filter(awb=awb).exists():
        return awb
    display_value = awb_format(awb) if is_eleven_digits else repr(value[:30])
    raise forms.ValidationError(f"Invalid AWB {display_value}: {problem}.")


class ScanForm(forms.Form):
    code = forms.CharField(
        label="Box code",
        required=False,
        max_length=200,
        strip=False,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "inputmode": "text",
                "enterkeyhint": "send",
            }
        ),
    )
    location = forms.CharField(
        label="Location",
        required=False,
        max_length=LOCATION_MAX_LENGTH,
        help_text="Where the boxes are put, such as a cooler or a dock. Kept for later scans.",
    )
    expected_awb = forms.CharField(
        label="Receiving AWB",
        required=False,
        max_length=25,
        help_text="Optional. Boxes of any other AWB are flagged and not received.",
    )

    def clean_expected_awb(self) -> str:
        return clean_awb_field(self.cleaned_data["expected_awb"])


class ReportLookupForm(forms.Form):
    awb = forms.CharField(label="AWB", required=False, max_length=25)
    ship_date = forms.DateField(
        label="Ship date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_awb(self) -> str:
        return clean_awb_field(self.cleaned_data["awb"])

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("awb") and not data.get("ship_date") and not self.errors:
            raise forms.ValidationError("Enter an AWB or a ship date.")
        return data
