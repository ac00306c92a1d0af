"""Background work about people. Tasks take plain values (JSON) and are safe to run twice."""

from celery import shared_task
from django.contrib.auth.forms import PasswordResetForm

RESET_EMAIL_TEMPLATE = "accounts/password_reset_email.txt"
RESET_SUBJECT_TEMPLATE = "accounts/password_reset_subject.txt"


@shared_task(name="accounts.password_reset_email")
def password_reset_email(email: str, domain: str, use_https: bool) -> None:
    """Email a password reset link to every active account with this address (none: nothing happens).

    Runs outside the request so the reset page answers in the same time whether or not the address has an
    account. A second run sends another link, which is harmless: any unused link works until it expires."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=domain,
            use_https=use_https,
            email_template_name=RESET_EMAIL_TEMPLATE,
            subject_template_name=RESET_SUBJECT_TEMPLATE,
        )
