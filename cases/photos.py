"""Photos from residents and grid workers: checked by content, cleaned, stored under new names.

A phone photo carries the place it was taken (EXIF GPS) and sometimes a name; we re-encode
every image from its pixels, which drops all metadata, after turning it upright.
"""

import io
import re
import warnings

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Format Pillow detects from the bytes → (extension, content type). The stored file gets a
# server-made name; the uploaded name only has to agree with the bytes.
ACCEPTED = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
# What each format may be called: a photo named otherwise is a mistake or a disguise.
EXTENSIONS = {"JPEG": {"jpg", "jpeg", "jfif"}, "PNG": {"png"}, "WEBP": {"webp"}}
# Markup hidden in an image's bytes makes a polyglot that a browser could run as a page.
MARKUP = re.compile(rb"<(?:script|html|svg|iframe|body|object|embed|!doctype|\?php)\b", re.I)
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; beyond that it is a decompression bomb


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one field; each is checked and cleaned, bad ones are named."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def __init__(self, *args, max_count=6, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("JPEG, PNG or WebP, up to %(mb)s MB each, at most %(n)s.")
            % {"mb": settings.CASE_PHOTO_MAX_BYTES // (1024 * 1024), "n": max_count},
        )
        self.max_count = max_count
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_count:
            raise forms.ValidationError(
                _("At most %(n)s photos at a time.") % {"n": self.max_count}, code="too_many"
            )
        return [clean_photo(super(PhotosField, self).clean(f, initial)) for f in files]


class CleanPhoto:
    def __init__(self, content: bytes, extension: str, content_type: str):
        self.content = content
        self.extension = extension
        self.content_type = content_type

    def as_file(self):
        return ContentFile(self.content, name=f"photo.{self.extension}")


def clean_photo(upload) -> CleanPhoto:
    name = upload.name[-60:]
    if upload.size > settings.CASE_PHOTO_MAX_BYTES:
        raise forms.ValidationError(
            _("“%(name)s” is larger than %(mb)s MB.")
            % {"name": name, "mb": settings.CASE_PHOTO_MAX_BYTES // (1024 * 1024)}
        )
    raw = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(raw))
            kind = probe.format
            if kind not in ACCEPTED:
                raise UnidentifiedImageError(kind)
            if probe.width * probe.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            probe.verify()  # structure check; the image must be opened again to use it
            image = ImageOps.exif_transpose(Image.open(io.BytesIO(raw)))
            image.load()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise forms.ValidationError(
            _("“%(name)s” is not a JPEG, PNG or WebP photo.") % {"name": name}
        ) from None
    if MARKUP.search(raw):
        raise forms.ValidationError(
            _("“%(name)s” carries web page code inside the picture; send the photo itself.")
            % {"name": name}
        )
    named = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if named not in EXTENSIONS[kind]:
        raise forms.ValidationError(
            _("“%(name)s” is a %(kind)s photo but its name does not say so; rename it .%(ext)s.")
            % {"name": name, "kind": kind, "ext": ACCEPTED[kind][0]}
        )
    extension, content_type = ACCEPTED[kind]
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    # No exif= argument: the new file carries no metadata at all.
    image.save(out, format=kind, **({"quality": 88} if kind in ("JPEG", "WEBP") else {}))
    return CleanPhoto(out.getvalue(), extension, content_type)
