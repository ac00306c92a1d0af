"""The page that takes an evidence file for a study (research/views/imports.py) and hands it to core's
import pages."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import ImportJob


def test_the_upload_page_refuses_an_unreadable_file_and_sends_a_good_one_to_its_preview(
    client, editor, study
):
    client.force_login(editor)
    url = reverse("research:study_import", args=[study.pk])
    page = client.post(url, {"file": SimpleUploadedFile("x.csv", b"")})
    assert page.status_code == 400 and "The submitted file is empty." in page.content.decode()
    page = client.post(url, {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04\x00\x00")})
    assert page.status_code == 400 and "it is not a text (CSV) file" in page.content.decode()
    assert not ImportJob.objects.exists()
    page = client.post(url, {"file": SimpleUploadedFile("ok.csv", "Quote\nÇa va\n".encode())})
    job = ImportJob.objects.get()
    assert page.status_code == 302 and page["Location"] == reverse("imports:detail", args=[job.pk])
    preview = client.get(page["Location"]).content.decode()
    assert "Ça va" in preview and "the study “Onboarding interviews”" in preview
    listing = client.get(url).content.decode()
    assert "ok.csv" in listing  # the person's recent imports, to come back to
