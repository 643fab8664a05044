"""xiaodian 小店: an order desk for Douyin shop merchants."""

__version__ = "0.1.0"
