from . import (
    test_exchange,
    test_hostile,
    test_orders,
    test_precision,
    test_reader,
    test_shop,
    test_shop_ui,
)
