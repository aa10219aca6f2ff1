from django.contrib import admin

from .models import Membership, OrgGroup, OrgGroupSet, OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level", "groups")
    search_fields = ("code", "name")
    filter_horizontal = ("groups",)


@admin.register(OrgGroupSet)
class OrgGroupSetAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(OrgGroup)
class OrgGroupAdmin(admin.ModelAdmin):
    list_display = ("group_set", "code", "name")
    list_filter = ("group_set",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "org", "role")
    list_filter = ("role",)
    search_fields = ("user__username", "org__name", "org__code")
    autocomplete_fields = ("org",)
