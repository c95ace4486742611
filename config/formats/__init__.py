"""Dates as each language writes them (FORMAT_MODULE_PATH): what a module here leaves out
comes from Django's own formats for that language.

Tables keep "Y-m-d H:i", which reads the same in both languages; sentences and headings use
these names (`date:"MONTH_DAY_FORMAT"`), so no Chinese 月 or 日 reaches the English pages.
"""
