"""Open311's XML: the same data as the JSON, inside the element names the specification uses."""

from xml.sax.saxutils import escape

from rest_framework.renderers import BaseRenderer


def _element(name, value) -> str:
    if isinstance(value, dict):
        inner = "".join(_element(k, v) for k, v in value.items())
    elif isinstance(value, list):
        singular = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute"}
        inner = "".join(_element(singular.get(name, "value"), v) for v in value)
    elif value is None:
        inner = ""
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape(str(value))
    return f"<{name}>{inner}</{name}>"


class Open311XmlRenderer(BaseRenderer):
    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            root, item = "errors", "error"
        else:
            root, item = getattr(view, "xml_names", ("response", "item"))
        if isinstance(data, list):
            body = "".join(_element(item, entry) for entry in data)
        else:
            body = "".join(_element(k, v) for k, v in (data or {}).items())
        return f'<?xml version="1.0" encoding="utf-8"?><{root}>{body}</{root}>'.encode()
