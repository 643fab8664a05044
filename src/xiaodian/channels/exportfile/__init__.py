"""Order export files (订单导出) from the merchant back office: read, validate, import."""
