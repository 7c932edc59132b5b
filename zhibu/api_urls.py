"""One router for the whole REST API; each app registers its viewsets in its api/ module."""

from rest_framework.routers import DefaultRouter

from zhibu.compliance.api import views as compliance_api
from zhibu.members.api import views as member_api
from zhibu.orglife.api import views as orglife_api
from zhibu.orgs.api import views as org_api
from zhibu.reports.api import views as reports_api

router = DefaultRouter()
org_api.register(router)
member_api.register(router)
orglife_api.register(router)
compliance_api.register(router)
reports_api.register(router)

urlpatterns = router.urls
