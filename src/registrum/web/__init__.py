"""The browsing UI: server-rendered pages over the same services as the API (issue #16).

``create_site(ctx)`` is the API with the pages; ``mount(app, ctx)`` adds them to an app.
"""

from registrum.web.site import create_site, mount

__all__ = ["create_site", "mount"]
