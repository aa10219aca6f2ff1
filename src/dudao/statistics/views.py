"""Thin views over :mod:`.services`: the import form (source, year, file), the list of imports and sources, one
import's values. Only city administrators and report compilers see these pages (403 for anyone else)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from dudao.errors import DudaoError, forbidden
from dudao.listing import listing

from . import selectors, services
from .models import Import


def _require(request) -> None:
    if not services.may_import(request.user):
        raise forbidden("只有市级管理员或报告编撰员可以导入公开统计数据")


# search fields and sortable columns of the import list (dudao.listing); unsorted it is newest first
IMPORT_SEARCH = ("source.name", "file_name", "period.code", "imported_by.username")
IMPORT_SORTS = {"period": "period.code", "source": "source.name", "rows": "rows", "imported_at": "imported_at"}


@login_required
def import_list(request):
    _require(request)
    return render(
        request,
        "statistics/list.html",
        {
            "listing": listing(request, selectors.imports(), search=IMPORT_SEARCH, sorts=IMPORT_SORTS),
            "sources": selectors.sources(),
        },
    )


@login_required
def import_page(request):
    _require(request)
    form = {"name": "", "publisher": "", "published_on": "", "link": "", "period": ""}
    errors: list[str] = []
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in form}
        upload = request.FILES.get("file")
        if upload is None:
            errors = ["请选择要导入的 .xlsx 或 .csv 文件"]
        else:
            try:
                batch = services.import_table(
                    upload,
                    source={k: form[k] for k in ("name", "publisher", "published_on", "link")},
                    period_code=form["period"],
                    user=request.user,
                )
            except DudaoError as exc:
                if exc.status == 403:
                    raise
                errors = exc.messages()
            else:
                units = batch.values.values("org").distinct().count()
                messages.success(request, f"已导入 {batch.rows} 个数值（{units} 个单位），来源：{batch.source.name}")
                return redirect("statistics:detail", pk=batch.pk)
    status = 422 if errors else 200
    return render(request, "statistics/import.html", {"form": form, "errors": errors}, status=status)


@login_required
def import_detail(request, pk):
    _require(request)
    batch = get_object_or_404(Import.objects.select_related("source", "period", "imported_by"), pk=pk)
    return render(request, "statistics/detail.html", {"batch": batch, "values": selectors.imported_values(batch)})
