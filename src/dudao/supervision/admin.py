"""The inspector registry is kept in Django's admin (目录维护) as well as listed on /supervision/inspectors/."""

from django.contrib import admin

from .models import Assignment, Inspector


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ("school", "started_on", "ended_on", "assigned_by")
    readonly_fields = ("assigned_by",)
    raw_id_fields = ("school",)


@admin.register(Inspector)
class InspectorAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "district", "phone", "trained_on", "certificate_expires", "active")
    list_filter = ("kind", "active", "district")
    search_fields = ("name", "phone", "email")
    raw_id_fields = ("user",)
    inlines = [AssignmentInline]
