MONTH_DAY_FORMAT = "n月j日"  # 12月6日 (Django's own pads the month: 09月5日)
