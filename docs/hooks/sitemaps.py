"""A sitemap in every language's folder of the built guide.

Material's language switch reads `sitemap.xml` beside each language's start page (the page's
`<link rel="alternate">`), to open the same chapter in the other language. The i18n plugin
writes one sitemap, at the site's root: the English pages asked for `en/sitemap.xml` and got a
404 on every load. The sitemap lists every page of both languages, so each folder gets a copy.
"""

import shutil
from pathlib import Path

SITEMAPS = ("sitemap.xml", "sitemap.xml.gz")


def on_post_build(config, **kwargs):
    site = Path(config["site_dir"])
    for folder in site.iterdir():
        if folder.is_dir() and (folder / "index.html").is_file():  # a language's pages
            for name in SITEMAPS:
                if (site / name).is_file():
                    shutil.copyfile(site / name, folder / name)
