from . import (
    account_move,
    crm_commerceml_exchange,
    crm_commerceml_importer,
    crm_commerceml_price_type,
    crm_commerceml_shop,
    decimal_precision,
    product,
    res_config_settings,
    res_partner,
    sale_order,
    uom,
)
