from django.contrib import admin

from .campaigns import enroll
from .models import Campaign, DataElement, DataSet, DataSetElement, Period, Submission, ValidationRule


class MemberInline(admin.TabularInline):
    model = DataSetElement
    extra = 0


class RuleInline(admin.TabularInline):
    model = ValidationRule
    extra = 0


@admin.register(DataSet)
class DataSetAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "period_type")
    inlines = [MemberInline, RuleInline]
    exclude = ("spec",)


@admin.register(DataElement)
class DataElementAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "value_type", "unit", "required")
    list_filter = ("value_type",)
    search_fields = ("code", "name")


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "start", "end")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "dataset", "period", "opens_at", "closes_at", "workflow")

    def save_model(self, request, obj, form, change):
        """Saving a campaign enrolls every participating school (a new school added later joins on the next save)."""
        super().save_model(request, obj, form, change)
        added = enroll(obj)
        if added:
            self.message_user(request, f"已为 {added} 所学校创建填报")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Read-only: states change only through the workflow, values only through the form or Excel."""

    list_display = ("campaign", "org", "state", "updated_at")
    list_filter = ("campaign", "state")
    search_fields = ("org__name", "org__code")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
