from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("zhibu.notify.home_urls")),
    path("accounts/", include("zhibu.accounts.urls")),
    path("orgs/", include("zhibu.orgs.urls")),
    path("members/", include("zhibu.members.urls")),
    path("orglife/", include("zhibu.orglife.urls")),
    path("compliance/", include("zhibu.compliance.urls")),
    path("inbox/", include("zhibu.notify.urls")),
    path("reports/", include("zhibu.reports.urls")),
    path("audit/", include("zhibu.audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("zhibu.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.ZHIBU_OIDC_CLIENT_ID:  # OpenID Connect login (docs/deployment.md)
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
