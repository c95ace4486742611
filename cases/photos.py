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
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
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
# Markup hidden in a photo (after its last pixel, or in its comments and metadata) makes a
# polyglot that a browser could run as a page. The compressed pixels are not searched: random
# bytes spell "<svg" in about one 8 MB photo in a hundred.
MARKUP = re.compile(rb"<(?:script|html|svg|iframe|body|object|embed|!doctype|\?php)\b", re.I)
# After 0xFF inside compressed JPEG data: a stuffed zero or a restart marker, not a segment.
JPEG_DATA_ESCAPES = frozenset({0x00, 0xFF, *range(0xD0, 0xD8)})
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; beyond that it is a decompression bomb


def photos_upload_bytes(*form_classes):
    """For common.bodylimit.accepts_upload: the most the photos of any of these forms may
    weigh together (each photo's limit times the number of photos)."""

    def max_file_bytes():
        return max(
            (
                field.max_count * settings.CASE_PHOTO_MAX_BYTES
                for form in form_classes
                for field in form.base_fields.values()
                if isinstance(field, PhotosField)
            ),
            default=0,
        )

    return max_file_bytes


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _photos_help_now(max_count):
    return gettext("JPEG, PNG or WebP, up to %(mb)s MB each, at most %(n)s.") % {
        "mb": settings.CASE_PHOTO_MAX_BYTES // (1024 * 1024),
        "n": max_count,
    }


_photos_help = lazy(_photos_help_now, str)


class PhotosField(forms.FileField):
    """Several photos in one field; each is checked and cleaned, bad ones are named."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def __init__(self, *args, max_count=6, **kwargs):
        kwargs.setdefault("required", False)
        # Lazy: a form class builds its fields once, in whatever language was active then.
        kwargs.setdefault("help_text", _photos_help(max_count))
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
                ngettext(
                    "At most %(n)s photo at a time.",
                    "At most %(n)s photos at a time.",
                    self.max_count,
                )
                % {"n": self.max_count},
                code="too_many",
            )
        return [clean_photo(super(PhotosField, self).clean(f, initial)) for f in files]


def _hidden_markup(raw: bytes, kind: str, info: dict) -> bool:
    """Markup after the image's end or in its comments and metadata (EXIF, XMP, text chunks)."""
    parts = [raw[_image_end(raw, kind) :]]
    parts += [
        v if isinstance(v, bytes) else v.encode()
        for v in info.values()
        if isinstance(v, (bytes, str))
    ]
    return any(MARKUP.search(part) for part in parts)


def _image_end(raw: bytes, kind: str) -> int:
    """Where the image's own bytes end; what follows is not part of the picture."""
    if kind == "WEBP":  # RIFF: the size after "RIFF" counts everything from byte 8
        return min(len(raw), 8 + int.from_bytes(raw[4:8], "little"))
    if kind == "PNG":  # chunks (length, type, data, CRC) from byte 8 up to IEND
        at = 8
        while at + 8 <= len(raw):
            length = int.from_bytes(raw[at : at + 4], "big")
            kind_of_chunk = raw[at + 4 : at + 8]
            at += 12 + length
            if kind_of_chunk == b"IEND":
                return min(at, len(raw))
        return len(raw)
    return _jpeg_end(raw)


def _jpeg_end(raw: bytes) -> int:
    """After the EOI marker: segments carry their length; in the compressed data after SOS a
    0xFF is followed only by 0x00 or a restart marker, so the first other marker is real."""
    at = 2  # after SOI
    while at + 4 <= len(raw):
        if raw[at] != 0xFF:
            return len(raw)
        marker = raw[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker == 0xD9:
            return at + 2
        at += 2 + int.from_bytes(raw[at + 2 : at + 4], "big")
        if marker == 0xDA:  # compressed data up to the next real marker
            while True:
                at = raw.find(b"\xff", at)
                if at < 0 or at + 1 >= len(raw):
                    return len(raw)
                if raw[at + 1] not in JPEG_DATA_ESCAPES:
                    break
                at += 1
    return len(raw)


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
    if _hidden_markup(raw, kind, probe.info):
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
