from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.capabilities import Capability
from common.bodylimit import accepts_upload
from common.params import id_param
from common.spreadsheets import spreadsheet_response, write_xlsx

from . import imports
from .forms import ImportUploadForm
from .models import ImportBatch, Street
from .sheet import template_rows


def _importer(request):
    """The streets where this user may import: a 403 for anyone who may import nowhere."""
    scope = request.scope.granting(Capability.IMPORT_PLACES)
    if not scope.has_any_place:
        raise PermissionDenied
    return scope


def _import_street(request) -> Street:
    """Imports are street staff's work, for a street they hold."""
    scope = _importer(request)
    streets = scope.narrow(Street.objects.all())
    street_id = id_param(request.GET, "street", label=_("Street")) or id_param(
        request.POST, "street", label=_("Street")
    )
    if street_id:
        return scope.get(streets, pk=street_id)
    street = streets.first()
    if street is None:
        raise Http404
    return street


@accepts_upload(lambda: settings.IMPORT_MAX_BYTES)
def import_upload(request):
    street = _import_street(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["sheet"]
        data = upload.read()
        report = imports.check(street, data, create_places=form.cleaned_data["create_places"])
        batch = ImportBatch.objects.create(
            street=street,
            uploaded_by=request.user,
            file_name=upload.name[:200],
            content=data if report.ok else b"",
            create_places=form.cleaned_data["create_places"],
            status=ImportBatch.Status.CHECKED if report.ok else ImportBatch.Status.REFUSED,
            row_count=report.lines,
            errors=report.error_rows(),
        )
        return redirect("grids:import_batch", pk=batch.pk)
    return render(
        request,
        "grids/import_upload.html",
        {
            "form": form,
            "street": street,
            "batches": request.scope.narrow(ImportBatch.objects.filter(street=street))
            .select_related("uploaded_by")
            .defer("content")[:10],
        },
    )


def import_batch(request, pk):
    batch = _importer(request).get(ImportBatch.objects.defer("content"), pk=pk)
    status = ImportBatch.Status
    return render(
        request,
        "grids/import_batch.html",
        {
            "batch": batch,
            "refused": batch.status == status.REFUSED,
            "may_apply": batch.status == status.CHECKED,
        },
    )


@require_POST
def import_apply(request, pk):
    importer = _importer(request)
    with transaction.atomic():
        batch = importer.get(ImportBatch.objects.select_for_update(), pk=pk)
        if batch.status != ImportBatch.Status.CHECKED:
            messages.error(
                request, _("This sheet cannot be imported: it has errors or was imported already.")
            )
            return redirect("grids:import_batch", pk=batch.pk)
        # Check again: the hierarchy may have changed since the dry run.
        report = imports.check(
            batch.street, bytes(batch.content), create_places=batch.create_places
        )
        if not report.ok:
            batch.status = ImportBatch.Status.REFUSED
            batch.errors = report.error_rows()
            batch.save(update_fields=["status", "errors"])
            return redirect("grids:import_batch", pk=batch.pk)
        batch.result = dict(imports.apply(batch.street, report))
        batch.status = ImportBatch.Status.APPLIED
        batch.applied_at = timezone.now()
        batch.save(update_fields=["result", "status", "applied_at"])
    messages.success(request, _("The sheet was imported."))
    return redirect("grids:import_batch", pk=batch.pk)


def import_template(request):
    _import_street(request)
    headings, *examples = template_rows()
    content = write_xlsx(examples, headings, "hierarchy", widths=dict.fromkeys(range(1, 10), 16))
    return spreadsheet_response(content, "xlsx", "youjie-hierarchy-template.xlsx")
