"""REST API (接口). Same permissions as the pages because it calls the same functions: ``orgs.access`` decides what
is visible (404 otherwise), ``collection.services.save_values`` and ``review.workflow.perform`` decide what may be
written. Token or session authentication; published reports are the only thing readable without signing in."""

from typing import TYPE_CHECKING

from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from dudao import security
from dudao.collection import selectors, services, workflows
from dudao.concurrency import StaleEdit
from dudao.errors import DudaoError
from dudao.evaluation import registry
from dudao.evaluation.run import evaluate
from dudao.indicators.query import as_json
from dudao.orgs.access import scope_unit, visible_units
from dudao.orgs.vocabulary import Level
from dudao.plans.services import visible_plans
from dudao.portal.selectors import public_publications
from dudao.review import workflow

from . import serializers as s
from . import tokens

if TYPE_CHECKING:
    from dudao.collection.models import Period, Submission
    from dudao.orgs.models import OrgUnit

MAX_ID = 2**63 - 1  # the largest value of a BIGINT primary key


def _visible_org(request, code: str | None) -> "OrgUnit":
    """The unit ``code`` names (without a code: the caller's highest unit), if the caller may see it."""
    org = scope_unit(request.user, code)
    if org is None:
        raise NotFound("机构不存在或不在您的权限范围内")
    return org


def _period(code: str) -> "Period":
    period = selectors.period(code)
    if period is None:
        raise NotFound(f"没有期间 {code}")
    return period


# ----------------------------------------------------------------------------- auth


@extend_schema(request=s.TokenRequestSerializer, responses={200: s.TokenSerializer}, auth=[], tags=["auth"])
@api_view(["POST"])
@permission_classes([permissions.AllowAny])
def obtain_token(request):
    """Exchange a user name and password for an API token (throttled like the sign-in form)."""
    form = s.TokenRequestSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    username, ip = form.validated_data["username"], security.client_ip(request)
    if not security.begin_attempt(username, ip):
        return Response({"detail": security.LOCKED_MESSAGE}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    user = authenticate(request, username=username, password=form.validated_data["password"])
    security.end_attempt(username, ip, succeeded=user is not None)
    if user is None or not user.is_active:
        return Response({"detail": "用户名或密码错误"}, status=status.HTTP_401_UNAUTHORIZED)
    token = tokens.issue(user)
    return Response({"token": token.key, "expires": tokens.expires_at(token)})


@extend_schema(request=None, responses={200: s.TokenSerializer}, tags=["auth"])
@api_view(["POST"])
def rotate_token(request):
    """Replace the caller's token with a new one; the old key is refused from this moment (also a way to revoke a
    leaked key: rotate and discard the answer)."""
    token = tokens.rotate(request.user)
    return Response({"token": token.key, "expires": tokens.expires_at(token)})


# ----------------------------------------------------------------------------- catalog


@extend_schema(
    tags=["orgs"],
    parameters=[OpenApiParameter("level", str, enum=["city", "district", "school", "department"], required=False)],
)
class OrgList(generics.ListAPIView):
    """Org units inside the caller's subtrees."""

    serializer_class = s.OrgUnitSerializer

    def get_queryset(self):
        qs = visible_units(self.request.user).select_related("parent").order_by("path")
        level = self.request.query_params.get("level")
        if level and level not in Level.values:
            raise ValidationError({"level": f"应为 {', '.join(Level.values)} 之一"})
        return qs.filter(level=level) if level else qs


@extend_schema(tags=["orgs"])
class OrgDetail(generics.RetrieveAPIView):
    serializer_class = s.OrgUnitSerializer

    def get_object(self):
        return _visible_org(self.request, self.kwargs["code"])


@extend_schema(tags=["collection"])
class DataSetList(generics.ListAPIView):
    """Data set definitions (forms); the catalog is not confidential to signed-in users."""

    serializer_class = s.DataSetSerializer

    def get_queryset(self):
        return selectors.datasets()


@extend_schema(tags=["collection"])
class DataSetDetail(generics.RetrieveAPIView):
    serializer_class = s.DataSetSerializer
    lookup_field = "code"

    def get_queryset(self):
        return selectors.datasets()


class _VisibleCampaigns(generics.GenericAPIView):
    """Campaigns with at least one submission the caller can see."""

    serializer_class = s.CampaignSerializer

    def get_queryset(self):
        return selectors.campaigns_with_submissions(visible_units(self.request.user))


@extend_schema(tags=["collection"])
class CampaignList(_VisibleCampaigns, generics.ListAPIView):
    pass


@extend_schema(tags=["collection"])
class CampaignDetail(_VisibleCampaigns, generics.RetrieveAPIView):
    pass


# ----------------------------------------------------------------------------- submissions


def _submission_data(sub: "Submission", user) -> dict:
    wf = workflows.workflow_of(sub)
    return {
        "id": sub.pk,
        "campaign": sub.campaign_id,
        "dataset": sub.campaign.dataset.code,
        "period": sub.campaign.period.code,
        "org": sub.org.code,
        "org_name": sub.org.name,
        "state": sub.state,
        "state_label": wf.label(sub.state),
        "editable": services.can_edit(user, sub),
        "locked": workflows.is_locked(sub),
        "actions": [
            {"action": st.action, "label": st.label, "reason": st.reason, "statement": st.statement}
            for st in workflow.available_steps(sub, user)
        ],
        "values": {code: v.value for code, v in services.values_of(sub).items()},
        # send a value's version back in the PATCH's "versions" and a save over someone else's is refused (409)
        "versions": selectors.versions_of(sub),
        "updated_at": sub.updated_at,
    }


def _visible_submission(request, pk) -> "Submission":
    sub = services.visible_submission(request.user, pk)
    if sub is None:
        raise NotFound("填报不存在或不在您的权限范围内")
    return sub


class SubmissionSummary(s.serializers.Serializer):
    id = s.serializers.IntegerField()
    campaign = s.serializers.IntegerField(source="campaign_id")
    org = s.serializers.CharField(source="org.code")
    org_name = s.serializers.CharField(source="org.name")
    state = s.serializers.CharField()
    updated_at = s.serializers.DateTimeField()


@extend_schema(
    tags=["collection"],
    parameters=[
        OpenApiParameter("campaign", int, required=False),
        OpenApiParameter("state", str, required=False),
        OpenApiParameter("org", str, required=False, description="只列出该机构及其下级"),
    ],
)
class SubmissionList(generics.ListAPIView):
    serializer_class = SubmissionSummary

    def get_queryset(self):
        qs = selectors.submissions(orgs=visible_units(self.request.user), state=self.request.query_params.get("state"))
        qs = qs.select_related("org")
        params = self.request.query_params
        if params.get("campaign"):
            try:
                campaign = int(params["campaign"])
            except ValueError:
                raise ValidationError({"campaign": "应为整数"}) from None
            # an id no database column can hold names no campaign (SQLite would overflow on it)
            qs = qs.filter(campaign_id=campaign) if 0 < campaign <= MAX_ID else qs.none()
        if params.get("org"):
            qs = qs.filter(org__path__contains=f"/{params['org']}/")
        return qs.order_by("campaign_id", "org__path")


@extend_schema(tags=["collection"], responses={200: s.SubmissionSerializer})
@api_view(["GET"])
def submission_detail(request, pk: int):
    """One submission: state, the actions the caller may take now, and its values."""
    sub = _visible_submission(request, pk)
    return Response(_submission_data(sub, request.user))


@extend_schema(tags=["collection"], request=s.ValuesWriteSerializer, responses={200: s.SavedValuesSerializer})
@api_view(["PATCH"])
def submission_values(request, pk: int):
    """Save values — all or nothing, with the same checks as the form and the Excel import."""
    sub = _visible_submission(request, pk)
    form = s.ValuesWriteSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    values = form.validated_data["values"]
    try:
        services.save_values(
            sub, values, request.user, form.validated_data.get("reason", ""), form.validated_data.get("versions")
        )
    except StaleEdit:  # someone saved one of these values since the client read it: 409 with both values
        raise
    except DudaoError as exc:
        if exc.errors:  # bad values: the answer names each field
            raise DudaoError("数据未保存", errors=exc.errors) from None
        raise
    # no re-read: save_values refreshed ``state`` under its row lock and set ``updated_at`` on this instance
    # Autosave answers small: the values as stored (normalised, e.g. "87" → "87.00"), not the whole form.
    stored = selectors.stored_texts(sub, values)
    return Response(
        {
            "id": sub.pk,
            "state": sub.state,
            "values": {c: stored.get(c, "") for c in values},
            "versions": selectors.versions_of(sub, values),
            "updated_at": sub.updated_at,
        }
    )


@extend_schema(tags=["review"], request=s.ActionWriteSerializer, responses={200: s.TransitionSerializer})
@api_view(["POST"])
def submission_action(request, pk: int, action: str):
    """Take a workflow step (submit, check, approve, district_accept, city_accept, return, reopen)."""
    sub = _visible_submission(request, pk)
    form = s.ActionWriteSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    # a DudaoError says 403 (no role), 409 (not in this state) or 400 (missing reason or signature, failed checks)
    transition = workflow.perform(sub, action, request.user, **form.validated_data)
    return Response(
        {
            "submission": sub.pk,
            "action": transition.action,
            "from_state": transition.from_state,
            "to_state": transition.to_state,
        }
    )


# ----------------------------------------------------------------------------- indicators, reports, plans, evaluations


@extend_schema(
    tags=["indicators"],
    parameters=[OpenApiParameter("org", str, required=True), OpenApiParameter("period", str, required=True)],
    responses={200: s.ReadingSerializer},
)
@api_view(["GET"])
def indicator_readings(request):
    """Every indicator of one unit and period, with its year-on-year change."""
    params = request.query_params
    if not params.get("org") or not params.get("period"):
        raise ValidationError({"org": "必填", "period": "必填"})
    return Response(as_json(_visible_org(request, params["org"]), _period(params["period"])))


@extend_schema(
    tags=["reports"],
    auth=[],
    parameters=[OpenApiParameter("period", str, required=False), OpenApiParameter("org", str, required=False)],
)
class ReportList(generics.ListAPIView):
    """Published (and superseded) reports — public, like the portal."""

    serializer_class = s.PublicationSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        params = self.request.query_params
        publications = public_publications(period=params.get("period"), org=params.get("org"))
        return publications.defer("content", "html").order_by("org__path", "-version")


@extend_schema(tags=["reports"], auth=[])
class ReportDetail(generics.RetrieveAPIView):
    serializer_class = s.PublicationSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return public_publications().defer("html")


@extend_schema(tags=["plans"])
class PlanList(generics.ListAPIView):
    serializer_class = s.PlanSerializer

    def get_queryset(self):
        return visible_plans(self.request.user).order_by("-year", "id")


@extend_schema(tags=["plans"])
class PlanDetail(generics.RetrieveAPIView):
    serializer_class = s.PlanDetailSerializer

    def get_queryset(self):
        return visible_plans(self.request.user)


@extend_schema(
    tags=["evaluations"],
    parameters=[
        OpenApiParameter("scheme", str, OpenApiParameter.PATH, enum=registry.codes()),
        OpenApiParameter("period", str, required=True),
        OpenApiParameter("org", str, required=False, description="默认：您所在的最高层级机构"),
    ],
    responses={200: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def evaluation(request, scheme: str):
    """The same JSON as ``dudao evaluate SCHEME --period P --org CODE --json``."""
    try:
        registry.get(scheme)
    except DudaoError:
        raise NotFound(f"没有评估方案 {scheme}") from None
    period = request.query_params.get("period")
    if not period:
        raise ValidationError({"period": "必填"})
    org = _visible_org(request, request.query_params.get("org"))
    _period(period)
    return Response(evaluate(scheme, period, org.code))  # a DudaoError answers through api.errors.handle


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([permissions.AllowAny])
def not_found(request, rest=""):
    """Any other path under /api/: a JSON 404 (not Django's HTML page), so clients always get one error shape."""
    raise NotFound("没有这个接口")
