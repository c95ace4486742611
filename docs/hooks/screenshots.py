"""Pictures of the app's screens in the guide, taken by the browser stories
(tests/browser/shots.py).

A chapter writes `![caption](shot:grid-worker/log-a-case)` where a screen belongs. When
`make docs` has run the stories, the phone (360 px) and desktop pictures of that screen are in
docs/assets/shots/ and this hook puts both in the page. When they are not (a build without the
stories, as the build test does), it puts a note instead, so `mkdocs build --strict` still
passes and the chapter shows where the picture goes.
"""

import re
from pathlib import Path

SHOT = re.compile(r"!\[(?P<caption>[^\]]*)\]\(shot:(?P<name>[\w/-]+)\)")
FOLDER = "assets/shots"
# Read by whoever opens the guide, a resident too: what is missing, and who can add it.
MISSING = {
    "zh": "这一版手册没有附上这个页面的截图。负责系统的信息化人员运行 `make docs` 后，"
    "这里会显示它在手机和电脑上的样子（{name}）。",
    "en": "This copy of the guide has no picture of this screen. Once whoever runs the system "
    "runs `make docs`, it shows here as on a phone and on a desktop ({name}).",
}
SIZES = {
    "zh": ("手机（360 像素宽）", "电脑"),
    "en": ("phone (360 px wide)", "desktop"),
}


def _language(page):
    return "en" if page.file.src_uri.endswith(".en.md") else "zh"


def _relative(page, target):
    """The picture's path from the page's source file, which MkDocs then resolves and checks."""
    depth = page.file.src_uri.count("/")
    return "../" * depth + target


def on_page_markdown(markdown, page, config, files):
    docs = Path(config["docs_dir"])
    language = _language(page)

    def picture(match):
        name, caption = match["name"], match["caption"]
        phone = f"{FOLDER}/{name}.phone.png"
        desktop = f"{FOLDER}/{name}.desktop.png"
        if not (docs / phone).exists():
            return f'!!! note "{caption}"\n    {MISSING[language].format(name=name)}\n'
        on_phone, on_desktop = SIZES[language]
        lines = [
            f"![{caption} · {on_phone}]({_relative(page, phone)}){{ .shot-phone loading=lazy }}"
        ]
        if (docs / desktop).exists():
            lines.append(
                f"![{caption} · {on_desktop}]({_relative(page, desktop)})"
                "{ .shot-desktop loading=lazy }"
            )
        return "\n".join(lines) + f"\n\n*{caption}*\n"

    return SHOT.sub(picture, markdown)
