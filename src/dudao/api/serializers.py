"""API shapes. Read shapes mirror what the pages show; write shapes are deliberately small (values + reason, or an
action's reason/signature) because all rules live in the domain services the web UI also calls."""

from typing import TYPE_CHECKING

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Model classes here only bind a ModelSerializer's Meta.model (DRF's way of declaring a representation); every query
# goes through the owning app's selectors. pyproject.toml lists these imports as the exception to the rule that an
# app's models are private to it.
from dudao.collection.models import Campaign, DataSet
from dudao.orgs.models import OrgUnit
from dudao.plans.models import Plan
from dudao.portal.models import Publication

if TYPE_CHECKING:
    from dudao.collection.models import Period


# A serializer is itself a Field, and a few field names here (parent, required, label) are also Field attributes. DRF's
# metaclass moves declared fields off the class, so they never clash at run time; the stubs cannot express that, hence
# ``type: ignore[assignment]`` on those names.
class OrgUnitSerializer(serializers.ModelSerializer):
    parent: serializers.SlugRelatedField[OrgUnit] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "level", "parent"]


class ElementSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    value_type = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    decimals = serializers.IntegerField()
    required = serializers.BooleanField()  # type: ignore[assignment]  # a field, not Field.required (see above)
    section = serializers.CharField()


class DataSetSerializer(serializers.ModelSerializer):
    elements = serializers.SerializerMethodField()

    class Meta:
        model = DataSet
        fields = ["code", "name", "period_type", "elements"]

    @extend_schema_field(ElementSerializer(many=True))
    def get_elements(self, obj):
        return [
            {
                "code": m.element.code,
                "name": m.element.name,
                "value_type": m.element.value_type,
                "unit": m.element.unit,
                "decimals": m.element.decimals,
                "required": m.element.required,
                "section": m.section_name,
            }
            for m in obj.members.select_related("element")
        ]


class CampaignSerializer(serializers.ModelSerializer):
    dataset: serializers.SlugRelatedField[DataSet] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period: "serializers.SlugRelatedField[Period]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner: serializers.SlugRelatedField[OrgUnit] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "dataset", "period", "owner", "opens_at", "closes_at", "workflow", "is_open"]

    def get_is_open(self, obj) -> bool:
        return obj.is_open()


class StepSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label (see above)
    reason = serializers.BooleanField(help_text="需要填写理由")
    statement = serializers.BooleanField(help_text="需要签署责任声明（confirm + signer_name）")


class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField()
    dataset = serializers.CharField()
    period = serializers.CharField()
    org = serializers.CharField()
    org_name = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    editable = serializers.BooleanField()
    locked = serializers.BooleanField()
    actions = StepSerializer(many=True)
    values = serializers.DictField(child=serializers.CharField(allow_blank=True))
    versions = serializers.DictField(child=serializers.IntegerField(), help_text="数据元编码 → 版本号（保存时带回）")
    updated_at = serializers.DateTimeField()


class ValuesWriteSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=20000), allow_empty=False, help_text="数据元编码 → 值"
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="修改原因（审计）")
    versions = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=2**31 - 1),
        required=False,
        help_text="数据元编码 → 读取时的版本号（GET 返回的 versions；尚无值为 0）；他人已修改则 409，不保存",
    )


class SavedValuesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    values = serializers.DictField(child=serializers.CharField(allow_blank=True), help_text="写入的数据元 → 存储值")
    versions = serializers.DictField(child=serializers.IntegerField(), help_text="写入的数据元 → 新版本号")
    updated_at = serializers.DateTimeField()


class ActionWriteSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    signer_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    confirm = serializers.BooleanField(required=False, default=False)


class TransitionSerializer(serializers.Serializer):
    submission = serializers.IntegerField()
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()


class ReadingSerializer(serializers.Serializer):
    org = serializers.CharField()
    org_name = serializers.CharField()
    period = serializers.CharField()
    indicators = serializers.DictField(child=serializers.DictField())


class PublicationSerializer(serializers.ModelSerializer):
    org: serializers.SlugRelatedField[OrgUnit] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)
    period: "serializers.SlugRelatedField[Period]" = serializers.SlugRelatedField(slug_field="code", read_only=True)
    html_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Publication
        fields = [
            "id",
            "org",
            "org_name",
            "period",
            "version",
            "title",
            "status",
            "published_at",
            "html_url",
            "pdf_url",
        ]

    def get_html_url(self, obj) -> str:
        return reverse("portal:report", args=[obj.pk])

    def get_pdf_url(self, obj) -> str:
        return reverse("portal:pdf", args=[obj.pk])


class AssignmentSerializer(serializers.Serializer):
    org = serializers.CharField()
    org_name = serializers.CharField()
    role = serializers.CharField()
    deadline = serializers.DateField()
    status = serializers.CharField()


class TaskSerializer(serializers.Serializer):
    no = serializers.IntegerField()
    section_no = serializers.IntegerField()
    title = serializers.CharField()
    assignments = AssignmentSerializer(many=True)


class PlanSerializer(serializers.ModelSerializer):
    tasks: serializers.Field = serializers.IntegerField(source="tasks.count", read_only=True)  # a list in the detail

    class Meta:
        model = Plan
        fields = ["id", "year", "title", "doc_number", "issuer", "date", "tasks"]


class PlanDetailSerializer(PlanSerializer):
    tasks = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        pass

    @extend_schema_field(TaskSerializer(many=True))
    def get_tasks(self, obj):
        rows = []
        for task in obj.tasks.prefetch_related("assignments__org", "assignments__reports").order_by("no"):
            assignments = []
            for a in task.assignments.all():
                reports = sorted(a.reports.all(), key=lambda r: r.reported_at)
                assignments.append(
                    {
                        "org": a.org.code,
                        "org_name": a.org.name,
                        "role": a.role,
                        "deadline": a.deadline,
                        "status": reports[-1].status if reports else "not_started",
                    }
                )
            rows.append({"no": task.no, "section_no": task.section_no, "title": task.title, "assignments": assignments})
        return rows


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires = serializers.DateTimeField(help_text="令牌失效时间（签发后 DUDAO_API_TOKEN_DAYS 天）")
