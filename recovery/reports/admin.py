"""The Reports page in the admin: one page (the "Reports" entry), its CSV downloads, the
retargeting export and "end test, keep the winner". Views stay thin: the numbers come from
``recovery.reports.tables`` / ``.selectors``, the writes from ``.services``. Staff need the
permission "Can view reports" (``reports.view_reports``); the export of hashed contacts
also "Can view customer", ending a test "Can change variant"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from recovery.models import FlowStep
from recovery.reports import charts, cube, recovery_selectors, selectors
from recovery.reports.forms import ReportFilterForm, RetargetingForm
from recovery.reports.models import Report
from recovery.reports.retargeting import export_csv
from recovery.reports.services import ReportActionError, end_ab_test
from recovery.reports.stats import required_sample
from recovery.reports.tables import ab_tables, as_csv, build_tables

VIEW_PERMISSION = "reports.view_reports"


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.has_perm(VIEW_PERMISSION)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.report_view), name="reports_report_changelist"),
            path("csv/<slug:slug>/", wrap(self.csv_view), name="reports_report_csv"),
            path("retargeting/", wrap(self.retargeting_view), name="reports_report_retargeting"),
            path("end-test/<int:step_id>/", wrap(self.end_test_view),
                 name="reports_report_end_test"),
        ]  # fmt: skip

    def _check(self, request) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def report_view(self, request):
        self._check(request)
        form = ReportFilterForm(request.GET or None)
        filters = form.filters()
        with cube.reading():
            tables = build_tables(filters)
            tests = ab_tables(recovery_selectors.ab_tests(filters))
            (overall,) = selectors.funnel(filters)
        days = tables["payments_day"].rows
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reports"),
            "opts": self.model._meta,
            "form": form,
            "filters": filters,
            "query": request.GET.urlencode(),
            "tables": tables,
            "ab_tests": [
                {"test": test, "table": table, "chart": charts.ab_chart(test.title, test.variants)}
                for test, table in tests
            ],
            "funnel_chart": charts.funnel_chart(selectors.funnel_step_labels(), overall.counts),
            "failures_chart": charts.failures_chart([row[0] for row in days],
                                                    [row[1] for row in days],
                                                    [row[2] for row in days]),  # fmt: skip
            "causes_chart": charts.causes_chart(
                [(f"{row[0]}: {row[1]}", row[2]) for row in tables["causes"].rows][:12]
            ),
            "retargeting_form": RetargetingForm(request.GET or None),
            "can_end_tests": request.user.has_perm("recovery.change_flowstepvariant"),
            "can_export": request.user.has_perm("shop.view_customer"),
            "minimum_sample": required_sample(),
        }
        return TemplateResponse(request, "admin/reports/report.html", context)

    def csv_view(self, request, slug: str):
        self._check(request)
        filters = ReportFilterForm(request.GET or None).filters()
        with cube.reading():
            if slug.startswith("ab_"):
                tests = ab_tables(recovery_selectors.ab_tests(filters))
                tables = {table.slug: table for _test, table in tests}
            else:
                tables = build_tables(filters)
        table = tables.get(slug)
        if table is None:
            raise Http404
        return _csv_response(as_csv(table), f"{slug}-{filters.date_from}-{filters.date_to}.csv")

    def retargeting_view(self, request):
        self._check(request)
        if not request.user.has_perm("shop.view_customer"):
            raise PermissionDenied
        form = RetargetingForm(request.GET)
        if not form.is_valid():
            for error in form.errors.values():
                messages.error(request, error[0])
            return redirect(reverse("admin:reports_report_changelist"))
        filters = form.filters()
        platform = form.cleaned_data["platform"]
        return _csv_response(export_csv(filters, platform=platform),
                             f"audience-{platform}-{filters.date_from}-{filters.date_to}.csv")

    def end_test_view(self, request, step_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._check(request)
        if not request.user.has_perm("recovery.change_flowstepvariant"):
            raise PermissionDenied
        step = get_object_or_404(FlowStep, pk=step_id)
        label = request.POST.get("winner", "")
        try:
            end_ab_test(step=step, winner_label=label)
        except ReportActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The test has ended: every customer now gets variant "
                                        "%(label)s.") % {"label": label})  # fmt: skip
        back = reverse("admin:reports_report_changelist")
        query = QueryDict(request.POST.get("query", "")).urlencode()  # re-encoded: only a query
        return redirect(f"{back}?{query}" if query else back)


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
