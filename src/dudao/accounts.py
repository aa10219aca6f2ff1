"""The sign-in form with throttling (see :mod:`dudao.security`)."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.utils.translation import gettext

from . import security


class ThrottledAuthenticationForm(AuthenticationForm):
    # Django's password field has no limit; every form field has one (dudao.inputs, tests/test_inputs.py)
    password = forms.CharField(
        label=AuthenticationForm.base_fields["password"].label,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        ip = security.client_ip(self.request) if self.request else None
        if not username:
            return super().clean()
        if not security.begin_attempt(username, ip):
            raise forms.ValidationError(gettext(security.LOCKED_MESSAGE), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            security.end_attempt(username, ip, succeeded=False)
            raise
        security.end_attempt(username, ip, succeeded=True)
        return cleaned


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
