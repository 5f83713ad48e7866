"""The development URLs (portal/settings/development.py): the portal's, and the debug toolbar's."""

from debug_toolbar.toolbar import debug_toolbar_urls

from portal.urls import handler403, handler404, handler500, urlpatterns

urlpatterns = [*urlpatterns, *debug_toolbar_urls()]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
