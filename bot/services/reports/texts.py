"""Report replies. Short Simplified Chinese."""

NOT_A_HEAD = "周报、月报只发给网格长、副网格长和管理员。您可以发「统计」查看本网格的数字。"
CHART_CAPTION = "{title}图表：{grid}"
LEDGER_CAPTION = "{month}月问题整改台账（Excel）"
