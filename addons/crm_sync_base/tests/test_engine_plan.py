"""Every row of the decision table, each policy and deletion behaviour, one test each.

Plain pytest on plain data: the engine imports nothing from Odoo's ORM."""

from datetime import datetime, timedelta

import pytest

from odoo.addons.crm_sync_base.engine import plan as P
from odoo.addons.crm_sync_base.engine.adapter import RemoteItem
from odoo.addons.crm_sync_base.engine.hashing import content_hash
from odoo.addons.crm_sync_base.engine.plan import Binding, LocalChange, plan
from odoo.addons.crm_sync_base.engine.policies import (
    MassDeleteRefused,
    SyncSettings,
    conflict_winner,
)

OLD = {"name": "Ann", "email": "ann@example.com"}
LOCAL_EDIT = {"name": "Ann Local", "email": "ann@example.com"}
REMOTE_EDIT = {"name": "Ann Remote", "email": "ann@example.com"}
T0 = datetime(2026, 1, 1, 12, 0, 0)


def bound(**kw):
    values = dict(local_id=1, remote_id="r1", remote_version="v1",
                  local_hash=content_hash(OLD), remote_hash=content_hash(OLD), key=10)
    values.update(kw)
    return Binding(**values)


def run(local=(), remote=(), bindings=None, complete=False, **settings):
    return plan([bound()] if bindings is None else bindings, list(local), list(remote),
                complete=complete, settings=SyncSettings(**settings))


def ops(result):
    return [a.op for a in result.actions]


def edited_locally(values=LOCAL_EDIT, at=T0):
    return LocalChange(1, values=values, changed_at=at)


def edited_remotely(values=REMOTE_EDIT, at=T0, version="v2"):
    return RemoteItem("r1", version=version, values=values, modified=at)


# --- unchanged local ------------------------------------------------------------

def test_nothing_changed_plans_nothing():
    assert ops(run()) == []


def test_remote_edit_updates_local():
    result = run(remote=[edited_remotely()])
    assert ops(result) == [P.UPDATE_LOCAL]
    assert result.actions[0].values == REMOTE_EDIT
    assert result.actions[0].remote_version == "v2"


def test_remote_deletion_deletes_local_when_propagating():
    assert ops(run(remote=[RemoteItem("r1", deleted=True)])) == [P.DELETE_LOCAL]


def test_remote_deletion_only_unlinks_in_unlink_mode():
    assert ops(run(remote=[RemoteItem("r1", deleted=True)], deletion="unlink")) == [
        P.RELEASE_LOCAL]


def test_absent_from_full_listing_means_deleted():
    other = bound(local_id=2, remote_id="r2", key=11)
    result = run(bindings=[bound(), other], complete=True,
                 remote=[RemoteItem("r2", version="v1", values=OLD)])
    assert ops(result) == [P.DELETE_LOCAL]
    assert result.actions[0].local_id == 1


def test_absent_from_incremental_listing_means_unchanged():
    assert ops(run(remote=[], complete=False)) == []


def test_etag_churn_only_refreshes_the_version():
    result = run(remote=[RemoteItem("r1", version="v9", values=OLD)])
    assert ops(result) == [P.REFRESH]
    assert result.actions[0].remote_version == "v9"
    assert not result.writes()


def test_local_dirty_mark_without_content_change_moves_nothing():
    result = run(local=[edited_locally(values=dict(OLD))])
    assert ops(result) == [P.REFRESH]  # clears the dirty mark
    assert not result.writes()


def test_whitespace_and_empty_values_are_not_changes():
    same = {"name": "  Ann ", "email": "ann@example.com", "phone": ""}
    assert not run(local=[edited_locally(values=same)]).writes()


# --- changed local ---------------------------------------------------------------

def test_local_edit_updates_remote_with_if_match():
    result = run(local=[edited_locally()])
    assert ops(result) == [P.UPDATE_REMOTE]
    action = result.actions[0]
    assert action.values == LOCAL_EDIT and action.if_match == "v1"
    assert action.local_hash == action.remote_hash == content_hash(LOCAL_EDIT)


def test_same_edit_on_both_sides_is_no_conflict():
    result = run(local=[edited_locally(values=REMOTE_EDIT)], remote=[edited_remotely()])
    assert ops(result) == [P.REFRESH]
    assert result.conflicts == 0


@pytest.mark.parametrize("local_at, remote_at, winner", [
    (T0 + timedelta(minutes=5), T0, P.UPDATE_REMOTE),  # local newer
    (T0, T0 + timedelta(minutes=5), P.UPDATE_LOCAL),  # remote newer
])
def test_conflict_newest_wins(local_at, remote_at, winner):
    result = run(local=[edited_locally(at=local_at)], remote=[edited_remotely(at=remote_at)])
    assert ops(result) == [winner]
    assert result.conflicts == 1
    action = result.actions[0]
    assert action.conflict and action.discarded in (LOCAL_EDIT, REMOTE_EDIT)
    assert action.discarded != action.values  # the loser is kept for the journal


def test_newest_wins_corrects_the_remote_clock_skew():
    # The remote clock runs 10 minutes ahead: its "5 minutes later" is really earlier.
    result = plan([bound()], [edited_locally(at=T0)],
                  [edited_remotely(at=T0 + timedelta(minutes=5))], complete=False,
                  settings=SyncSettings(), clock_offset=600)
    assert ops(result) == [P.UPDATE_REMOTE]


def test_conflict_odoo_wins():
    result = run(local=[edited_locally(at=T0)],
                 remote=[edited_remotely(at=T0 + timedelta(hours=1))], policy="local")
    assert ops(result) == [P.UPDATE_REMOTE]
    assert result.actions[0].if_match == "v2"  # against the version just listed


def test_conflict_remote_wins():
    result = run(local=[edited_locally(at=T0 + timedelta(hours=1))],
                 remote=[edited_remotely(at=T0)], policy="remote")
    assert ops(result) == [P.UPDATE_LOCAL]


def test_conflict_with_unknown_times_keeps_remote_and_journals_local():
    result = run(local=[edited_locally(at=None)], remote=[edited_remotely(at=None)])
    assert ops(result) == [P.UPDATE_LOCAL]
    assert result.actions[0].discarded == LOCAL_EDIT


def test_local_edit_remote_deletion_edit_wins_recreates_remotely():
    result = run(local=[edited_locally()], remote=[RemoteItem("r1", deleted=True)],
                 policy="local")
    assert ops(result) == [P.CREATE_REMOTE]
    assert result.actions[0].binding.key == 10  # the same binding, a new remote item


def test_local_edit_remote_deletion_deletion_wins_under_remote_policy():
    result = run(local=[edited_locally()], remote=[RemoteItem("r1", deleted=True)],
                 policy="remote")
    assert ops(result) == [P.DELETE_LOCAL]
    assert result.actions[0].discarded == LOCAL_EDIT


# --- deleted / out of scope locally ------------------------------------------------

def test_local_deletion_deletes_remote_with_if_match():
    result = run(local=[LocalChange(1, gone="deleted")])
    assert ops(result) == [P.DELETE_REMOTE]
    assert result.actions[0].if_match == "v1"


def test_local_deletion_only_releases_in_unlink_mode():
    assert ops(run(local=[LocalChange(1, gone="deleted")], deletion="unlink")) == [
        P.RELEASE_REMOTE]


def test_local_deletion_remote_edit_edit_wins_recreates_locally():
    result = run(local=[LocalChange(1, gone="deleted", changed_at=T0)],
                 remote=[edited_remotely(at=T0 + timedelta(minutes=1))])
    assert ops(result) == [P.CREATE_LOCAL]
    assert result.actions[0].values == REMOTE_EDIT


def test_local_deletion_remote_edit_deletion_wins_under_odoo_policy():
    result = run(local=[LocalChange(1, gone="deleted", changed_at=T0)],
                 remote=[edited_remotely(at=T0 + timedelta(minutes=1))], policy="local")
    assert ops(result) == [P.DELETE_REMOTE]
    assert result.actions[0].if_match == "v2"
    assert result.actions[0].discarded == REMOTE_EDIT


def test_deleted_on_both_sides_forgets_the_binding():
    result = run(local=[LocalChange(1, gone="deleted")], remote=[RemoteItem("r1", deleted=True)])
    assert ops(result) == [P.FORGET]


def test_out_of_scope_releases_remote_and_never_deletes():
    result = run(local=[LocalChange(1, gone="out_of_scope")])
    assert ops(result) == [P.RELEASE_REMOTE]


def test_out_of_scope_and_remote_deleted_forgets():
    result = run(local=[LocalChange(1, gone="out_of_scope")],
                 remote=[RemoteItem("r1", deleted=True)])
    assert ops(result) == [P.FORGET]


# --- new items, adoption ------------------------------------------------------------

def test_new_local_record_is_created_remotely_with_its_tag():
    result = run(bindings=[], local=[LocalChange(5, values=OLD, local_tag="tag-5")])
    assert ops(result) == [P.CREATE_REMOTE]
    assert result.actions[0].local_tag == "tag-5"


def test_new_remote_item_is_created_locally():
    result = run(bindings=[], remote=[RemoteItem("r7", version="v1", values=OLD)])
    assert ops(result) == [P.CREATE_LOCAL]
    assert result.actions[0].remote_id == "r7"


def test_remote_deletion_of_unknown_item_is_ignored():
    assert ops(run(bindings=[], remote=[RemoteItem("r7", deleted=True)])) == []


def pending_binding():
    """A create was sent with OLD and its answer was lost."""
    return Binding(5, None, key=20, pending=True, local_tag="tag-5",
                   local_hash=content_hash(OLD), remote_hash=content_hash(OLD))


def test_lost_create_response_is_adopted_not_duplicated():
    result = run(bindings=[pending_binding()],
                 local=[LocalChange(5, values=OLD, local_tag="tag-5")],
                 remote=[RemoteItem("r9", version="v1", values=OLD, local_tag="tag-5")])
    assert ops(result) == [P.BIND, P.REFRESH]  # bound; the dirty mark is cleared
    assert result.actions[0].remote_id == "r9" and result.actions[0].binding.key == 20
    assert not result.writes()


def test_adopted_item_with_a_later_local_edit_pushes_the_edit():
    result = run(bindings=[pending_binding()],
                 local=[LocalChange(5, values=LOCAL_EDIT, local_tag="tag-5")],
                 remote=[RemoteItem("r9", version="v1", values=OLD, local_tag="tag-5")])
    assert ops(result) == [P.BIND, P.UPDATE_REMOTE]
    assert result.actions[1].if_match == "v1"


def test_adopted_item_edited_remotely_keeps_the_remote_edit():
    # The base is what was sent, so a remote edit since is a remote change, not a
    # difference the local side "wins".
    result = run(bindings=[pending_binding()],
                 local=[LocalChange(5, values=OLD, local_tag="tag-5")],
                 remote=[RemoteItem("r9", version="v2", values=REMOTE_EDIT, local_tag="tag-5")],
                 policy="remote")
    assert ops(result) == [P.BIND, P.UPDATE_LOCAL]


def test_adopted_item_edited_on_both_sides_is_a_conflict():
    result = run(bindings=[pending_binding()],
                 local=[LocalChange(5, values=LOCAL_EDIT, local_tag="tag-5")],
                 remote=[RemoteItem("r9", version="v2", values=REMOTE_EDIT, local_tag="tag-5")],
                 policy="local")
    assert ops(result) == [P.BIND, P.UPDATE_REMOTE]
    assert result.conflicts == 1


def test_remote_writes_carry_the_listed_version_and_content():
    result = run(local=[edited_locally(at=T0 + timedelta(hours=1))],
                 remote=[edited_remotely(at=T0)])
    action = result.actions[0]
    assert action.op == P.UPDATE_REMOTE
    assert (action.listed_version, action.listed_hash) == ("v2", content_hash(REMOTE_EDIT))
    assert run(local=[edited_locally()]).actions[0].listed_version is None  # not listed


def test_recreate_after_remote_deletion_reuses_the_binding_with_its_hash():
    result = run(local=[edited_locally()], remote=[RemoteItem("r1", deleted=True)],
                 policy="local")
    action = result.actions[0]
    assert action.op == P.CREATE_REMOTE and action.binding.key == 10
    assert action.local_hash == content_hash(LOCAL_EDIT)


def test_pending_create_not_found_remotely_is_sent_again_on_its_binding():
    pending = pending_binding()
    result = run(bindings=[pending], local=[LocalChange(5, values=OLD, local_tag="tag-5")])
    assert ops(result) == [P.CREATE_REMOTE]
    assert result.actions[0].binding is pending


def test_pending_create_of_a_deleted_record_is_forgotten():
    pending = pending_binding()
    result = run(bindings=[pending], local=[LocalChange(5, gone="deleted")])
    assert ops(result) == [P.FORGET]


def test_remote_id_change_follows_the_item():
    result = run(remote=[RemoteItem("r1-new", version="v1", values=OLD,
                                    previous_ids=("r1",))])
    assert ops(result) == [P.BIND]
    assert result.actions[0].remote_id == "r1-new"


# --- direction ----------------------------------------------------------------------

def test_import_only_never_writes_remote():
    result = run(local=[edited_locally()], direction="import")
    assert not [a for a in result.actions if a.side == "remote"]
    result = run(bindings=[], local=[LocalChange(5, values=OLD)], direction="import")
    assert ops(result) == []


def test_import_only_conflict_keeps_remote():
    result = run(local=[edited_locally(at=T0 + timedelta(hours=1))],
                 remote=[edited_remotely(at=T0)], direction="import", policy="local")
    assert ops(result) == [P.UPDATE_LOCAL]


def test_export_only_never_writes_local_but_tracks_remote_version():
    result = run(remote=[edited_remotely()], direction="export")
    assert ops(result) == [P.REFRESH]
    assert result.actions[0].remote_version == "v2"
    assert ops(run(bindings=[], remote=[RemoteItem("r7", values=OLD)], direction="export")) == []
    assert ops(run(remote=[RemoteItem("r1", deleted=True)], direction="export")) == [P.FORGET]


def test_export_only_conflict_keeps_odoo():
    result = run(local=[edited_locally(at=T0)],
                 remote=[edited_remotely(at=T0 + timedelta(hours=1))], direction="export",
                 policy="remote")
    assert ops(result) == [P.UPDATE_REMOTE]


# --- guard and settings ---------------------------------------------------------------

def test_remote_side_coming_back_empty_is_not_mirrored():
    bindings = [bound(local_id=i, remote_id=f"r{i}", key=i) for i in range(1, 4)]
    with pytest.raises(MassDeleteRefused) as caught:
        run(bindings=bindings, remote=[], complete=True)
    assert caught.value.side == "remote" and caught.value.count == 3


def test_mass_delete_ratio_is_taken_over_all_bound_items():
    # An incremental run sees only the 20 bindings it touches; 20 of 50 is 40%.
    bindings = [bound(local_id=i, remote_id=f"r{i}", key=i) for i in range(1, 21)]
    deleted = [RemoteItem(f"r{i}", deleted=True) for i in range(1, 21)]
    with pytest.raises(MassDeleteRefused):
        run(bindings=bindings, remote=deleted)
    result = plan(bindings, [], deleted, complete=False, settings=SyncSettings(),
                  bound_total=50)
    assert ops(result) == [P.DELETE_LOCAL] * 20


def test_mass_deletion_allowed_once():
    bindings = [bound(local_id=i, remote_id=f"r{i}", key=i) for i in range(1, 4)]
    result = run(bindings=bindings, remote=[], complete=True, allow_mass_delete=True)
    assert ops(result) == [P.DELETE_LOCAL] * 3


def test_deleting_the_only_synced_record_in_odoo_is_carried_out():
    assert ops(run(local=[LocalChange(1, gone="deleted")])) == [P.DELETE_REMOTE]


def test_most_of_odoo_deleted_at_once_is_not_mirrored():
    bindings = [bound(local_id=i, remote_id=f"r{i}", key=i) for i in range(1, 31)]
    with pytest.raises(MassDeleteRefused) as caught:
        run(bindings=bindings, local=[LocalChange(i, gone="deleted") for i in range(1, 21)])
    assert caught.value.side == "local"
    result = run(bindings=bindings, local=[LocalChange(i, gone="deleted") for i in range(1, 6)])
    assert ops(result) == [P.DELETE_REMOTE] * 5


def test_unknown_settings_are_refused():
    for bad in ({"direction": "sideways"}, {"policy": "loudest"}, {"deletion": "burn"}):
        with pytest.raises(ValueError):
            SyncSettings(**bad)


def test_conflict_winner_handles_aware_remote_times():
    from datetime import timezone
    aware = datetime(2026, 1, 1, 12, 5, tzinfo=timezone(timedelta(hours=3)))  # 09:05 UTC
    assert conflict_winner(SyncSettings(), T0 - timedelta(hours=2, minutes=59), aware) == "remote"
    assert conflict_winner(SyncSettings(), T0 - timedelta(hours=2, minutes=50), aware) == "local"
