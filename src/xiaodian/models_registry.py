"""Imports every capability's models so that Base.metadata knows every table (migrations, tests)."""


def import_all_models() -> None:
    from .accounts import models as _accounts  # noqa: F401
    from .orders import models as _orders  # noqa: F401
    from .shipping import models as _shipping  # noqa: F401
    from .logistics import models as _logistics  # noqa: F401
    from .aftersales import models as _aftersales  # noqa: F401
    from .channels.douyin import models as _douyin  # noqa: F401
    from .exports import models as _exports  # noqa: F401
    from .imports import models as _imports  # noqa: F401
