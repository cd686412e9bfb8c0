from . import (
    sync_account,
    sync_account_oauth,
    sync_binding,
    sync_mixin,
    sync_run,
    sync_runner,
    sync_secret,
    write_only_secret,
)
