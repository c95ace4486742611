# The 24-hour clock the rest of the app writes: "Dec. 6, 2026, 14:00", not "2 p.m.".
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "N j, Y, H:i"
MONTH_DAY_FORMAT = "M j"  # Dec 6
# A meeting's time in a sentence ("the deliberation meeting of 2026-12-17 09:30"), as the
# pages write times elsewhere, not "12/17/2026 9:30 a.m.".
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
