"""Background export jobs: a filtered order list of up to 1,000,000 orders written to a file by a worker, kept for
download for a week (the platform's 导出查询订单 works the same way)."""
