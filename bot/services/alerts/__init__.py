"""Heavy-pollution alerts (重污染天气预警): issue, upgrade, lift, receipts and their chase."""
