# The 24-hour clock the rest of the app writes: "Dec. 6, 2026, 14:00", not "2 p.m.".
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "N j, Y, H:i"
MONTH_DAY_FORMAT = "M j"  # Dec 6
